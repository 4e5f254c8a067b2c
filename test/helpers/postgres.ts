import { randomBytes } from 'node:crypto';
import { createDatabase, startLocalPostgres, type LocalPostgres } from '../../src/dev/local-postgres.js';

/**
 * A real PostgreSQL for tests: a throwaway cluster of Debian's server (`initdb`, `pg_ctl`, as the `postgres`
 * user when run as root), one per test file; each test takes a database of its own (`database`).
 */
export interface TestPostgres {
  cluster: LocalPostgres;
  /** A new, empty database on the cluster: its URL. */
  database(): string;
  close(): void;
}

export async function startPostgres(): Promise<TestPostgres> {
  const cluster = await startLocalPostgres();
  return {
    cluster,
    database: () => createDatabase(cluster, `t_${randomBytes(6).toString('hex')}`),
    close: () => cluster.close(),
  };
}
