import { freshDataDir } from './data-dir.js';
import { startPostgres, type TestPostgres } from './postgres.js';

let pg: TestPostgres | undefined;

/**
 * The ledger's two stores, for tests that run against both (`describe.each(LEDGER_STORES)`): each answers the
 * environment of a fresh, empty ledger. PostgreSQL is one throwaway cluster per test file (`closeLedgerStores`
 * after all), a new database each time.
 */
export const LEDGER_STORES = [
  { name: 'embedded', env: async (): Promise<Record<string, string>> => ({ DATA_DIR: freshDataDir() }) },
  {
    name: 'PostgreSQL',
    env: async (): Promise<Record<string, string>> => {
      pg ??= await startPostgres();
      return { DATABASE_URL: pg.database() };
    },
  },
];

/** Stops the file's PostgreSQL cluster, if one was started. */
export function closeLedgerStores(): void {
  pg?.close();
  pg = undefined;
}
