import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

/**
 * The ledger's schema, as Kysely migrations run in order by its `Migrator` at start-up (its own table,
 * `kysely_migration`, records which have run). The same migrations serve every store; a migration is never
 * edited once released: a change is a new one.
 */
const MIGRATIONS: Record<string, Migration> = {
  '2026-12-07-001-ledger': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('ledger_batches')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('provider_batch_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('provider_status', 'text', (c) => c.notNull())
        .addColumn('is_terminal', 'integer', (c) => c.notNull())
        .addColumn('total', 'integer')
        .addColumn('processed', 'integer', (c) => c.notNull())
        .addColumn('failed', 'integer', (c) => c.notNull())
        .addColumn('batch_type', 'text')
        .addColumn('pending_records', 'integer')
        .addColumn('created_at', 'bigint')
        .addColumn('started_at', 'bigint')
        .addColumn('completed_at', 'bigint')
        .addColumn('sort_created', 'bigint', (c) => c.notNull())
        .addColumn('reading', 'text', (c) => c.notNull())
        .addColumn('read_at', 'bigint', (c) => c.notNull())
        .addColumn('lacks', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('submitted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('submitted_at', 'bigint')
        .addColumn('submitted_by', 'text')
        .addColumn('submitted_tenant', 'text')
        .addUniqueConstraint('ledger_batches_key', ['provider', 'scope', 'provider_batch_id'])
        .execute();
      await db.schema
        .createIndex('ledger_batches_by_created')
        .on('ledger_batches')
        .columns(['provider', 'sort_created', 'seq'])
        .execute();
      await db.schema
        .createTable('ledger_viewers')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('provider_batch_id', 'text', (c) => c.notNull())
        .addColumn('viewer', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_viewers_key', ['provider', 'scope', 'provider_batch_id', 'viewer'])
        .execute();
      await db.schema
        .createIndex('ledger_viewers_by_viewer')
        .on('ledger_viewers')
        .columns(['viewer', 'provider'])
        .execute();
      await db.schema
        .createTable('ledger_audit')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('mutation', 'text', (c) => c.notNull())
        .addColumn('provider', 'text')
        .addColumn('provider_batch_id', 'text')
        .addColumn('subject', 'text')
        .addColumn('tenant', 'text')
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('idempotency_key', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('code', 'text')
        .addColumn('message', 'text')
        .execute();
      await db.schema.createIndex('ledger_audit_by_tenant').on('ledger_audit').columns(['tenant', 'id']).execute();
      await db.schema.createIndex('ledger_audit_by_at').on('ledger_audit').columns(['at']).execute();
    },
  },
};

/** The migrations, for Kysely's `Migrator`. */
export const ledgerMigrations: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
