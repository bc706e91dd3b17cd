-- A run whose driving process was stopped (the CLI's Ctrl-C or SIGTERM) says `interrupted` rather
-- than `running`; one whose process died says so once its heartbeat is stale (issue 34).
ALTER TYPE "MigrationStatus" ADD VALUE IF NOT EXISTS 'interrupted';
ALTER TABLE "migration_runs" ADD COLUMN "heartbeat_at" TIMESTAMP(3);
