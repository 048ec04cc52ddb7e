-- The demo's database as branch demo-sqlalchemy at 819d973 (SQLAlchemy + Alembic, revision 0001) left it,
-- made through that code's own API by tests/databases/make.py; sqlite3's dump.
BEGIN TRANSACTION;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('0001');
CREATE TABLE servers (
	seq INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	id TEXT NOT NULL, 
	project_id TEXT NOT NULL, 
	user_id TEXT NOT NULL, 
	name TEXT NOT NULL, 
	description TEXT, 
	flavor_id TEXT NOT NULL, 
	old_flavor_id TEXT, 
	image_ref TEXT, 
	status TEXT NOT NULL, 
	metadata TEXT DEFAULT '{}' NOT NULL, 
	created TEXT NOT NULL, 
	updated TEXT NOT NULL, 
	UNIQUE (id)
);
INSERT INTO "servers" VALUES(1,'1f8b97aa-774c-4f4c-a825-b99d6e58602c','demo','alice','web-1',NULL,'1',NULL,NULL,'PAUSED','{"role": "web-1"}','2026-12-06T22:11:53Z','2026-12-06T22:11:53Z');
INSERT INTO "servers" VALUES(2,'c4ca1f44-be9b-41f5-ac7c-fc272be63e90','demo','alice','db-primary',NULL,'1',NULL,NULL,'ACTIVE','{"role": "db-1"}','2026-12-06T22:11:53Z','2026-12-06T22:11:53Z');
INSERT INTO "servers" VALUES(4,'4c59eaeb-a611-406c-8a1a-1d95a78af12f','other','bob','bob-1',NULL,'2',NULL,NULL,'ACTIVE','{}','2026-12-06T22:11:53Z','2026-12-06T22:11:53Z');
CREATE INDEX servers_by_project ON servers (project_id, seq);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('servers',4);
COMMIT;
