-- The demo's database as the previous release (0.1.0: main at 538e13e, its hand-written SQLite schema) left it,
-- made through that code's own API by tests/databases/make.py; sqlite3's dump.
BEGIN TRANSACTION;
CREATE TABLE servers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- creation order: newest first in listings
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    flavor_id TEXT NOT NULL,
    old_flavor_id TEXT,                      -- while a resize waits for confirm/revert
    image_ref TEXT,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
INSERT INTO "servers" VALUES(1,'f2a0ac17-20c5-4485-8e02-25988a624290','demo','alice','web-1',NULL,'1',NULL,NULL,'PAUSED','{"role": "web-1"}','2026-12-06T22:11:52Z','2026-12-06T22:11:52Z');
INSERT INTO "servers" VALUES(2,'09ab9d82-a2b9-45ad-9b47-3f053dac6acb','demo','alice','db-primary',NULL,'1',NULL,NULL,'ACTIVE','{"role": "db-1"}','2026-12-06T22:11:52Z','2026-12-06T22:11:52Z');
INSERT INTO "servers" VALUES(4,'e9edd97c-07d5-4152-bf98-97413e721784','other','bob','bob-1',NULL,'2',NULL,NULL,'ACTIVE','{}','2026-12-06T22:11:52Z','2026-12-06T22:11:52Z');
CREATE INDEX servers_by_project ON servers (project_id, seq);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('servers',4);
PRAGMA user_version = 1;
COMMIT;
