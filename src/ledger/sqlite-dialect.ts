import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';

/**
 * Kysely's `SqliteDialect` over Node 24's `node:sqlite` (`DatabaseSync`): the dialect expects
 * better-sqlite3's statement shape, so this adapter gives each prepared statement its `reader` flag
 * (from `statement.columns()`: a statement that returns columns reads) and passes parameters spread,
 * as `node:sqlite` takes them. A few lines rather than `kysely-generic-sqlite`: nothing else is needed,
 * and no dependency stands between the store and Node's own driver.
 */
export function nodeSqliteDialect(database: DatabaseSync): SqliteDialect {
  const adapter: SqliteDatabase = {
    close: () => database.close(),
    prepare(sql): SqliteStatement {
      const statement = database.prepare(sql);
      const params = (parameters: ReadonlyArray<unknown>) => parameters as SQLInputValue[];
      return {
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...params(parameters)),
        run: (parameters) => {
          const { changes, lastInsertRowid } = statement.run(...params(parameters));
          return { changes, lastInsertRowid };
        },
        iterate: (parameters) => statement.iterate(...params(parameters)),
      };
    },
  };
  return new SqliteDialect({ database: adapter });
}
