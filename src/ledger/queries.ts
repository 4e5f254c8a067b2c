import { PostgresAdapter, sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { Batch, BatchHealth, BatchStatus, ProviderName } from '../domain/batch.js';
import type { BatchListFilter } from '../domain/listing.js';
import type { LedgerTables } from './tables.js';
import type { BatchKey } from './batch-key.js';

/** The row of batch `key` in `ledger_batches`: a condition on the table's unique key (for a select or an update). */
export const isKey = (key: BatchKey) => (eb: ExpressionBuilder<LedgerTables, 'ledger_batches'>) =>
  eb.and([
    eb('provider', '=', key.provider),
    eb('scope', '=', key.scope),
    eb('provider_batch_id', '=', key.providerBatchId),
  ]);

/** A condition no row meets (an empty `in` list), in both stores. */
export const NOTHING = sql<boolean>`1 = 0`;

type Rows = ExpressionBuilder<LedgerTables & { b: LedgerTables['ledger_batches'] }, 'b'>;

/**
 * What search matches of a batch: its name, when its provider's batches have one, and its provider id, lower
 * case (the `search_text` column).
 */
export function searchTextOf(batch: Batch): string {
  const name = (batch as { name?: unknown }).name;
  return `${typeof name === 'string' ? name : ''} ${batch.providerBatchId}`.trim().toLowerCase();
}

/** Search input as the store matches it: trimmed, lower case; empty matches everything. */
function searchTerm(search: string): string {
  return search.trim().toLowerCase();
}

/**
 * The rows whose name or provider id contains `term` (an exact provider id is one of them: it is part of the
 * searched text). On SQLite, a term of three characters or more goes through the FTS5 trigram table
 * (`ledger_search`), whose matches drive the query; on PostgreSQL, `like` is served by the `pg_trgm` GIN index.
 * Shorter terms scan the scope's rows (docs/ledger.md, "Counts, filters and search").
 */
function searchCondition(db: Kysely<LedgerTables>, term: string): Expression<SqlBool> {
  if (db.getExecutor().adapter instanceof PostgresAdapter || [...term].length < 3) {
    const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return sql<SqlBool>`b.search_text like ${pattern} escape '\\'`;
  }
  const phrase = `"${term.replace(/"/g, '""')}"`;
  return sql<SqlBool>`b.seq in (select rowid from ledger_search where ledger_search match ${phrase})`;
}

/**
 * True when the search's matches drive the query: on SQLite, a text the FTS5 table answers. The other columns are
 * then compared without their indexes (a unary `+`, SQLite's way to say so): otherwise its planner probes an
 * index once per match and status (20,000 probes for 10,000 matches and two statuses) rather than read each
 * matching row once by its row number (docs/benchmarks.md, "The ledger at scale").
 */
export function searchDrives(db: Kysely<LedgerTables>, filter: BatchListFilter): boolean {
  return (
    !(db.getExecutor().adapter instanceof PostgresAdapter) &&
    filter.search !== undefined &&
    [...searchTerm(filter.search)].length >= 3
  );
}

/** A column of `b`, kept from its indexes when `driven` (`searchDrives`). */
const column = (name: string, driven: boolean) => (driven ? sql<unknown>`+${sql.ref(name)}` : sql.ref(name));

/**
 * A row's health now, as SQL (`healthCutoff`: a stored health judged before it no longer counts): `OK` when it is
 * not RUNNING, the stored health while current, else `UNKNOWN` (what `Ledger.health` answers for one batch).
 */
function healthNow(healthCutoff: number) {
  // The cutoff is written as a literal (an integer), so the expression grouped by is the one selected on PostgreSQL.
  return sql<BatchHealth>`case when b.status <> 'RUNNING' then 'OK'
    when b.health is not null and b.health_at >= ${sql.lit(Math.floor(healthCutoff))} then b.health
    else 'UNKNOWN' end`;
}

/**
 * The rows whose health now is one of `states`. `SLOW` and `STALLED` are read through the health index (only
 * RUNNING rows judged within the cutoff have them); `OK` and `UNKNOWN` compare each row of the scope.
 */
function healthCondition(eb: Rows, states: readonly BatchHealth[], healthCutoff: number): Expression<SqlBool> {
  if (states.length === 0) return NOTHING;
  const judged = states.filter((s) => s === 'SLOW' || s === 'STALLED');
  const parts: Expression<SqlBool>[] = [];
  if (judged.length)
    parts.push(
      eb.and([eb('b.health', 'in', judged), eb('b.health_at', '>=', healthCutoff), eb('b.status', '=', 'RUNNING')]),
    );
  const derived = states.filter((s) => s === 'OK' || s === 'UNKNOWN');
  if (derived.length) parts.push(eb(healthNow(healthCutoff), 'in', derived));
  return eb.or(parts);
}

/**
 * Narrows rows of `ledger_batches as b` to `filter` (every part the store can answer); `healthCutoff` is when a
 * stored health stops counting (`Ledger.healthCutoff`).
 */
export function filterCondition(
  db: Kysely<LedgerTables>,
  eb: Rows,
  filter: BatchListFilter,
  healthCutoff: number,
): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [];
  const driven = searchDrives(db, filter);
  if (filter.statuses)
    parts.push(filter.statuses.length ? eb(column('b.status', driven), 'in', [...filter.statuses]) : NOTHING);
  if (filter.batchTypes)
    parts.push(filter.batchTypes.length ? eb('b.batch_type', 'in', [...filter.batchTypes]) : NOTHING);
  if (filter.hasPendingResources === true) parts.push(eb('b.pending_records', '>', 0));
  if (filter.hasPendingResources === false)
    parts.push(eb.or([eb('b.pending_records', 'is', null), eb('b.pending_records', '<=', 0)]));
  if (filter.createdAfter) parts.push(eb('b.created_at', '>=', filter.createdAfter.getTime()));
  if (filter.createdBefore) parts.push(eb('b.created_at', '<', filter.createdBefore.getTime()));
  if (filter.finishedAfter) parts.push(eb(column('b.finished_at', driven), '>=', filter.finishedAfter.getTime()));
  if (filter.finishedBefore) parts.push(eb(column('b.finished_at', driven), '<', filter.finishedBefore.getTime()));
  if (filter.search !== undefined && searchTerm(filter.search) !== '')
    parts.push(searchCondition(db, searchTerm(filter.search)));
  if (filter.health) parts.push(healthCondition(eb, filter.health, healthCutoff));
  // failed ÷ processed > x, written without a division (both stores, no rounding, no zero divisor).
  if (filter.failureRateAbove !== undefined)
    parts.push(
      sql<SqlBool>`b.processed > 0 and b.failed > cast(${filter.failureRateAbove} as double precision) * b.processed`,
    );
  return eb.and(parts);
}

/**
 * Which rows of one provider a caller may count or search: those of its credential scope, and, when `viewer` is
 * set (a provider without a list upstream), only those that tenant saw or submitted (the listing rule).
 */
export interface Visible {
  provider: ProviderName;
  scope: string;
  viewer: string | null;
}

/** The rows of `part` the caller may see (`driven`: compared without indexes, `searchDrives`). */
export function visibleCondition(eb: Rows, part: Visible, driven = false): Expression<SqlBool> {
  const own = [eb(column('b.provider', driven), '=', part.provider), eb(column('b.scope', driven), '=', part.scope)];
  if (part.viewer !== null)
    own.push(
      eb.exists(
        eb
          .selectFrom('ledger_viewers as v')
          .select('v.viewer')
          .whereRef('v.provider', '=', 'b.provider')
          .whereRef('v.scope', '=', 'b.scope')
          .whereRef('v.provider_batch_id', '=', 'b.provider_batch_id')
          .where('v.viewer', '=', part.viewer),
      ),
    );
  return eb.and(own);
}

/** Counts per provider, status and health now of the rows of `parts` that match `filter`. */
export async function countRows(
  db: Kysely<LedgerTables>,
  parts: readonly Visible[],
  filter: BatchListFilter,
  healthCutoff: number,
): Promise<{ provider: ProviderName; status: BatchStatus; health: BatchHealth; count: number }[]> {
  if (parts.length === 0) return [];
  const health = healthNow(healthCutoff);
  const rows = await db
    .selectFrom('ledger_batches as b')
    .select(['b.provider', 'b.status', health.as('health'), (eb) => eb.fn.countAll<number | string>().as('n')])
    .where((eb) => eb.or(parts.map((part) => visibleCondition(eb, part, searchDrives(db, filter)))))
    .where((eb) => filterCondition(db, eb, filter, healthCutoff))
    .groupBy(['b.provider', 'b.status', health])
    .execute();
  return rows.map((r) => ({
    provider: r.provider as ProviderName,
    status: r.status as BatchStatus,
    health: r.health,
    count: Number(r.n),
  }));
}
