import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { ledgerMigrations } from './migrations.js';
import { nodeSqliteDialect } from './sqlite-dialect.js';
import type { LedgerTables } from './tables.js';

/** The embedded ledger's file in `DATA_DIR`. */
const LEDGER_FILE = 'batchql.sqlite';

/** An open ledger store (embedded SQLite, or PostgreSQL): Kysely over it, and where it is. */
export interface LedgerStore {
  db: Kysely<LedgerTables>;
  /** Where it lives, for logs and `/ready` (a path, never a credential). */
  location: string;
  /** The folder it is in was made now (a first start): the start-up log says so. */
  createdFolder: string | undefined;
  /** Bytes on disk (the database file and its write-ahead log). */
  size(): number;
  /** The embedded store only: an online copy to `path` (`node:sqlite`'s backup; PostgreSQL has `pg_dump`). */
  backup?(path: string): Promise<void>;
  close(): Promise<void>;
}

/** Why the ledger could not be opened: the message names `DATA_DIR` and the path, for the start-up log. */
export class LedgerOpenError extends Error {}

/**
 * Opens (creating it and its folder when missing) the embedded ledger in `dataDir`, in WAL mode (readers never
 * wait for the writer, and a write is one append), and brings its schema up to date with Kysely's migrator.
 * Throws `LedgerOpenError` when the folder or file cannot be created or written.
 */
export async function openSqliteLedger(dataDir: string): Promise<LedgerStore> {
  const dir = resolve(dataDir);
  const file = join(dir, LEDGER_FILE);
  let database: DatabaseSync;
  let createdFolder: string | undefined;
  try {
    createdFolder = mkdirSync(dir, { recursive: true });
    database = new DatabaseSync(file);
    // WAL: one writer and many readers at once; NORMAL sync is durable across a process crash (not a power
    // cut's last transactions), the usual pairing with WAL. A file locked by another process (a backup tool)
    // waits at most 250 ms, then fails the write: node:sqlite waits synchronously, so the wait is kept short,
    // and the ledger backs off after a failure (ledger.ts).
    database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 250;');
  } catch (error) {
    throw new LedgerOpenError(`DATA_DIR: cannot open the ledger at ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const db = new Kysely<LedgerTables>({ dialect: nodeSqliteDialect(database) });
  const { error } = await new Migrator({ db, provider: ledgerMigrations }).migrateToLatest();
  if (error) {
    await db.destroy().catch(() => {});
    throw new LedgerOpenError(`DATA_DIR: cannot prepare the ledger at ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const sizeOf = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  return {
    db,
    location: file,
    createdFolder,
    size: () => sizeOf(file) + sizeOf(`${file}-wal`),
    backup: async (path) => {
      await backup(database, path);
    },
    close: () => db.destroy(),
  };
}
