DROP TABLE signatures;
DROP TABLE challenges;
DROP TABLE signing_keys;
