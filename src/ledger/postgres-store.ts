import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { urlForLog } from '../observability/logging.js';
import { ledgerMigrations } from './migrations.js';
import { LedgerOpenError, type LedgerStore } from './store.js';
import type { LedgerTables } from './tables.js';

/** How the ledger talks to PostgreSQL (`DATABASE_URL`, `LEDGER_PG_*`, `LEDGER_DEADLINE_MS`). */
export interface PostgresLedgerOptions {
  url: string;
  /** Connections this replica may hold. */
  poolMax: number;
  /** An idle connection is closed after this. */
  idleMs: number;
  /** A connection, or a statement, that takes longer fails (the ledger counts it and goes on without it). */
  deadlineMs: number;
}

/** int8 (counts, epoch milliseconds) as JS numbers: every value the ledger stores fits in 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Opens the ledger in PostgreSQL through `pg` and Kysely's `PostgresDialect`, and brings its schema up to date
 * (the same migrations as the embedded store, under the migrator's advisory lock). Throws `LedgerOpenError`
 * naming `DATABASE_URL` (without credentials) when it cannot be reached in time.
 */
export async function openPostgresLedger(options: PostgresLedgerOptions): Promise<LedgerStore> {
  const where = urlForLog(options.url, 'the configured database');
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    idleTimeoutMillis: options.idleMs,
    connectionTimeoutMillis: options.deadlineMs,
    query_timeout: options.deadlineMs,
    statement_timeout: options.deadlineMs,
    types,
  });
  // A connection that breaks while idle (PostgreSQL restarted) is dropped by the pool; without a listener its
  // error would end the process.
  pool.on('error', () => {});
  // Likewise a connection that breaks while checked out between statements: the statement under way fails (and
  // the ledger counts it); the connection's own error event must not end the process.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<LedgerTables>({ dialect: new PostgresDialect({ pool }) });
  const fail = async (what: string, error: unknown): Promise<never> => {
    await db.destroy().catch(() => {});
    const message = ((error as Error)?.message ?? String(error)).replaceAll(options.url, where);
    throw new LedgerOpenError(`DATABASE_URL: cannot ${what} the ledger at ${where}: ${message}`, { cause: error });
  };
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    return fail('reach', error);
  }
  const { error } = await new Migrator({ db, provider: ledgerMigrations }).migrateToLatest();
  if (error) return fail('prepare', error);
  let bytes = 0;
  let measuredAt = 0;
  const measure = () => {
    if (Date.now() - measuredAt < 30_000) return;
    measuredAt = Date.now();
    void sql<{ n: number }>`select pg_database_size(current_database()) as n`
      .execute(db)
      .then((r) => (bytes = Number(r.rows[0]?.n ?? 0)))
      .catch(() => {});
  };
  measure();
  return {
    db,
    location: where,
    createdFolder: undefined,
    size: () => {
      measure();
      return bytes;
    },
    close: () => db.destroy(),
  };
}
