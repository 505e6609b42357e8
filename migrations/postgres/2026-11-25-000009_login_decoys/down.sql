DROP TABLE login_decoys;
