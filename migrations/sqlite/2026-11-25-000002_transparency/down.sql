DROP TABLE log_keys;
DROP TABLE checkpoints;
DROP TABLE merkle_nodes;
