DROP TABLE document_versions;
DROP TABLE documents;
DROP TABLE blobs;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE organisations;
DROP TABLE ledger;
