import { randomUUID } from 'node:crypto';
import { PostgresAdapter, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

/**
 * An auto-numbered primary key in either store: SQLite's `integer primary key autoincrement`, PostgreSQL's
 * `serial primary key` (Kysely has no portable spelling).
 */
function serialKey(
  db: Kysely<unknown>,
): ['integer' | 'serial', (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? ['serial', (c) => c.primaryKey()]
    : ['integer', (c) => c.primaryKey().autoIncrement()];
}

/**
 * The ledger's schema, as Kysely migrations run in order by its `Migrator` at start-up (its own table,
 * `kysely_migration`, records which have run). The same migrations serve every store; a migration is never
 * edited once released: a change is a new one. On PostgreSQL the migrator holds an advisory lock
 * (`pg_advisory_xact_lock`, Kysely's `PostgresAdapter`) around them, so replicas starting together run them once.
 */
const MIGRATIONS: Record<string, Migration> = {
  '2026-12-07-001-ledger': {
    async up(db: Kysely<unknown>) {
      const [serial, key] = serialKey(db);
      await db.schema
        .createTable('ledger_batches')
        .addColumn('seq', serial, key)
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
        .addColumn('id', serial, key)
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
  '2026-12-07-002-copy-origin': {
    // Each entry's unique key: `local:<uuid>` when written (a flush tried again after a cut-off commit adds none
    // twice), or for a copied one its source ledger's id and its id there (a second copy adds nothing). The
    // ledger's own id is in `ledger_meta`, made once.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('ledger_audit').addColumn('origin', 'text').execute();
      await db.schema.createIndex('ledger_audit_by_origin').on('ledger_audit').column('origin').unique().execute();
      await db.schema
        .createTable('ledger_meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db
        .insertInto('ledger_meta' as never)
        .values({ key: 'ledger_id', value: randomUUID() } as never)
        .execute();
    },
  },
};

/** The migrations, for Kysely's `Migrator`. */
export const ledgerMigrations: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
