import { randomUUID } from 'node:crypto';
import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
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
  '2026-12-07-003-history': {
    // Each batch's timeline (`ledger_events`), when it finished (`finished_at`: retention and `finishedAfter`), and
    // what search matches (`search_text`: its name and provider id, lower case) with its index: an FTS5 trigram
    // table on SQLite, a `pg_trgm` GIN index on PostgreSQL (docs/ledger.md, "Search").
    async up(db: Kysely<unknown>) {
      const [serial, key] = serialKey(db);
      const pg = db.getExecutor().adapter instanceof PostgresAdapter;
      await db.schema.alterTable('ledger_batches').addColumn('finished_at', 'bigint').execute();
      await db.schema.alterTable('ledger_batches').addColumn('search_text', 'text').execute();
      await sql`update ledger_batches set finished_at = coalesce(completed_at, read_at) where is_terminal = 1`.execute(
        db,
      );
      await sql`update ledger_batches set search_text = lower(provider_batch_id)`.execute(db);
      await db.schema.createIndex('ledger_batches_by_finished').on('ledger_batches').column('finished_at').execute();
      await db.schema
        .createIndex('ledger_batches_by_status')
        .on('ledger_batches')
        .columns(['provider', 'scope', 'status'])
        .execute();
      await db.schema
        .createTable('ledger_events')
        .addColumn('id', serial, key)
        .addColumn('batch_seq', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text')
        .addColumn('processed', 'integer')
        .addColumn('failed', 'integer')
        .addColumn('total', 'integer')
        .addColumn('detail', 'text')
        .addColumn('ended_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('ledger_events_by_batch')
        .on('ledger_events')
        .columns(['batch_seq', 'at', 'id'])
        .execute();
      await db.schema.createIndex('ledger_events_by_kind').on('ledger_events').columns(['kind', 'at']).execute();
      if (pg) {
        // A trusted extension (PostgreSQL 13+): the database's owner may create it (docs/ledger.md).
        await sql`create extension if not exists pg_trgm`.execute(db);
        await sql`create index ledger_batches_search on ledger_batches using gin (search_text gin_trgm_ops)`.execute(
          db,
        );
        return;
      }
      // An external-content FTS5 table over `search_text`, kept by triggers; an upsert that leaves the text alone
      // (every reading after the first) does not touch it.
      await sql`create virtual table ledger_search using fts5(search_text, tokenize = 'trigram',
        content = 'ledger_batches', content_rowid = 'seq')`.execute(db);
      await sql`create trigger ledger_search_insert after insert on ledger_batches begin
        insert into ledger_search(rowid, search_text) values (new.seq, new.search_text); end`.execute(db);
      await sql`create trigger ledger_search_delete after delete on ledger_batches begin
        insert into ledger_search(ledger_search, rowid, search_text)
        values ('delete', old.seq, old.search_text); end`.execute(db);
      await sql`create trigger ledger_search_update after update of search_text on ledger_batches
        when old.search_text is not new.search_text begin
        insert into ledger_search(ledger_search, rowid, search_text) values ('delete', old.seq, old.search_text);
        insert into ledger_search(rowid, search_text) values (new.seq, new.search_text); end`.execute(db);
      await sql`insert into ledger_search(ledger_search) values ('rebuild')`.execute(db);
    },
  },
  '2026-12-07-004-health': {
    // Each batch's health as last judged (docs/live-progress.md, "Batch health"), with an index for
    // `BatchFilter.health`, and a partial index of the submitted batches that have not finished (the background
    // watch reads them at start and on each scan).
    async up(db: Kysely<unknown>) {
      for (const [name, type] of [
        ['health', 'text'],
        ['health_since', 'bigint'],
        ['health_reason', 'text'],
        ['health_at', 'bigint'],
      ] as const)
        await db.schema.alterTable('ledger_batches').addColumn(name, type).execute();
      await db.schema
        .createIndex('ledger_batches_by_health')
        .on('ledger_batches')
        .columns(['health', 'health_at'])
        .execute();
      await sql`create index ledger_batches_unfinished_submissions on ledger_batches (submitted_at)
        where submitted = 1 and is_terminal = 0`.execute(db);
    },
  },
  '2026-12-08-005-notifications': {
    // Webhook endpoints, and the outbox: events written in the transaction of the change that caused them, one
    // delivery per matching endpoint, and each attempt (docs/notifications.md).
    async up(db: Kysely<unknown>) {
      const [serial, key] = serialKey(db);
      await db.schema
        .createTable('notify_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('filter', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('secrets', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('paused_until', 'bigint')
        .addColumn('paused_at', 'bigint')
        .execute();
      await db.schema.createIndex('notify_endpoints_by_tenant').on('notify_endpoints').columns(['tenant']).execute();
      await db.schema
        .createTable('notify_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('provider', 'text')
        .addColumn('scope', 'text')
        .addColumn('provider_batch_id', 'text')
        .addColumn('reading', 'text')
        .addColumn('detail', 'text')
        .addColumn('body', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notify_events_by_created').on('notify_events').columns(['created_at']).execute();
      await db.schema
        .createTable('notify_deliveries')
        .addColumn('id', serial, key)
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('claimed_by', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('first_attempt_at', 'bigint')
        .addColumn('last_attempt_at', 'bigint')
        .addColumn('delivered_at', 'bigint')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addUniqueConstraint('notify_deliveries_once', ['event_id', 'endpoint_id'])
        .execute();
      await db.schema
        .createIndex('notify_deliveries_due')
        .on('notify_deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('notify_deliveries_by_endpoint')
        .on('notify_deliveries')
        .columns(['endpoint_id', 'id'])
        .execute();
      await db.schema
        .createTable('notify_attempts')
        .addColumn('id', serial, key)
        .addColumn('delivery_id', 'bigint', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'integer')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('response', 'text')
        .execute();
      await db.schema
        .createIndex('notify_attempts_by_delivery')
        .on('notify_attempts')
        .columns(['delivery_id', 'attempt'])
        .execute();
    },
  },
};

/** The migrations, for Kysely's `Migrator`. */
export const ledgerMigrations: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
