/**
 * `npm run bench:ledger` (scale part, issue 31): the ledger's size and its history and search queries at scale, on
 * one store (`BENCH_STORE`: `embedded`, the default, or `postgres`: a throwaway local cluster). Everything is
 * written through `Ledger.observe` and `Ledger.audit`, the gateway's own write path (one transaction per flush,
 * multi-row upserts), with Check-shaped readings (about 1 KB of JSON each):
 * - 100,000 finished batches, each with the timeline a 30-minute batch keeps once thinned (statuses QUEUED →
 *   RUNNING → SUCCEEDED or FAILED, 20 progress samples, one write): the store's size per 100,000 batches;
 * - then up to `BENCH_ROWS` batches (default 1,000,000) with a short timeline (RUNNING → finished), and one batch
 *   with 10,000 stored progress samples;
 * - timed, `BENCH_RUNS` times (default 50) each, p50 and p99: a 100-row `batches` page with a status filter, a
 *   search (a word in 1 % of the names) and a deep cursor (page 20), through `Ledger.page` (the ledger-served list's
 *   query), with its SQL and the store's query plan; a `batchCounts` query with the same filter; and
 *   `progressSeries` of the 10,000-sample batch (the store read and the downsampling to 200 points).
 *   BENCH_ROWS, BENCH_RUNS, BENCH_STORE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { CompiledQuery, type KyselyPlugin, type RootOperationNode } from 'kysely';
import type { Batch, BatchStatus } from '../src/domain/batch.js';
import { downsampled } from '../src/ledger/history.js';
import { Ledger } from '../src/ledger/ledger.js';
import { openSqliteLedger, type LedgerStore } from '../src/ledger/store.js';
import { openPostgresLedger } from '../src/ledger/postgres-store.js';
import { startLocalPostgres, type LocalPostgres } from '../src/dev/local-postgres.js';
import { checkReading } from './ledger-reading.js';

const rowsWanted = Number(process.env.BENCH_ROWS ?? 1_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 50);
const storeKind = process.env.BENCH_STORE === 'postgres' ? 'postgres' : 'embedded';
const FULL = Math.min(100_000, rowsWanted);
const CHUNK = 1_000;
const MINUTE = 60_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');

/** 100 made-up newsroom desks (six letters each): each name holds one, so a desk's word is in 1 % of the names. */
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'su', 'ta', 'vo', 'ri', 'pe', 'zu'];
const desk = (i: number) => `${SYLLABLES[i % 10]}${SYLLABLES[Math.floor(i / 10) % 10]}${SYLLABLES[(i * 3) % 10]}`;

/** Batch `i` as read at `at`: running with `processed` of 1,000 done, or finished (`status`). */
function reading(i: number, processed: number, at: number, status?: 'SUCCEEDED' | 'FAILED' | 'QUEUED'): Batch {
  const base = checkReading(i, processed);
  const created = T0 + i * 1_000;
  const finished = status === 'SUCCEEDED' || status === 'FAILED';
  return {
    ...base,
    name: `${desk(i % 100)} claims ${i}`,
    createdAt: new Date(created),
    startedAt: status === 'QUEUED' ? null : new Date(created + MINUTE),
    status: status ?? 'RUNNING',
    providerStatus: status === 'QUEUED' ? 'pending' : finished ? status.toLowerCase() : 'processing',
    isTerminal: finished,
    completedAt: finished ? new Date(at) : null,
    observedAt: new Date(at),
  } as Batch;
}

/** Captures the SQL of the last `ledger_batches` page query (one with a limit), to show it and explain it. */
let lastPage: RootOperationNode | undefined;
const capture: KyselyPlugin = {
  transformQuery: ({ node }) => {
    if (node.kind === 'SelectQueryNode' && node.limit && JSON.stringify(node.from).includes('ledger_batches'))
      lastPage = node;
    return node;
  },
  transformResult: async ({ result }) => result,
};

const sighting = { scope: 'default', viewer: '', lacks: [] };
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function timed(run: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  await run();
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

/** The store's size on disk: the database's for PostgreSQL, the file and its log for SQLite (checkpointed first). */
async function sizeOf(store: LedgerStore, ledger: Ledger): Promise<number> {
  await ledger.flushNow(true);
  if (storeKind === 'postgres') {
    await store.db.executeQuery(CompiledQuery.raw('checkpoint'));
    const r = await store.db.executeQuery<{ n: string }>(
      CompiledQuery.raw('select pg_database_size(current_database()) as n'),
    );
    return Number(r.rows[0]?.n ?? 0);
  }
  await store.db.executeQuery(CompiledQuery.raw('pragma wal_checkpoint(TRUNCATE)'));
  return store.size();
}

const dataDir = mkdtempSync(join(tmpdir(), 'batchql-bench-ledger-scale-'));
let cluster: LocalPostgres | undefined;
try {
  let store: LedgerStore;
  if (storeKind === 'postgres') {
    cluster = await startLocalPostgres();
    store = await openPostgresLedger({ url: cluster.url, poolMax: 10, idleMs: 30_000, deadlineMs: 60_000 });
  } else store = await openSqliteLedger(dataDir);
  const db = store.db.withPlugin(capture);
  const ledger = new Ledger(
    { ...store, db },
    { cacheMaxEntries: CHUNK * 3, flushMs: 60_000, log: pino({ level: 'warn' }) },
  );
  console.log(`bench:ledger (scale): the ${storeKind} store, ${rowsWanted.toLocaleString('en')} batches`);

  // 1. 100,000 batches with a full (thinned) timeline each.
  let started = performance.now();
  for (let from = 0; from < FULL; from += CHUNK) {
    const to = Math.min(FULL, from + CHUNK);
    const at = (i: number, minute: number) => T0 + i * 1_000 + minute * MINUTE;
    for (let i = from; i < to; i++) ledger.observe(reading(i, 0, at(i, 0), 'QUEUED'), sighting);
    for (let s = 0; s <= 20; s++)
      for (let i = from; i < to; i++) ledger.observe(reading(i, s * 45, at(i, 1 + s)), sighting);
    for (let i = from; i < to; i++) {
      ledger.observe(reading(i, 1000, at(i, 30), i % 10 === 0 ? 'FAILED' : 'SUCCEEDED'), sighting);
      ledger.audit(
        {
          at: new Date(at(i, 0)),
          mutation: 'submitFactCheckBatch',
          provider: 'FACT_CHECK',
          providerBatchId: reading(i, 0, 0).providerBatchId,
          subject: 'bench',
          tenant: null,
          client: 'sub:bench',
          requestId: null,
          idempotencyKey: null,
          outcome: 'CREATED',
          code: null,
          message: null,
        },
        'default',
      );
    }
    await ledger.flushNow(true);
  }
  const fullSeconds = (performance.now() - started) / 1000;
  const perFull = await sizeOf(store, ledger);
  console.log(
    `${FULL.toLocaleString('en')} batches with their timelines (24 events each) written in ` +
      `${fullSeconds.toFixed(1)} s; ` +
      `store ${(perFull / 1e6).toFixed(1)} MB`,
  );

  // 2. Up to BENCH_ROWS batches, each with a short timeline, and one batch with 10,000 samples.
  started = performance.now();
  for (let from = FULL; from < rowsWanted; from += CHUNK) {
    const to = Math.min(rowsWanted, from + CHUNK);
    for (let i = from; i < to; i++) ledger.observe(reading(i, 100, T0 + i * 1_000 + MINUTE), sighting);
    for (let i = from; i < to; i++)
      ledger.observe(reading(i, 1000, T0 + i * 1_000 + 30 * MINUTE, i % 10 === 0 ? 'FAILED' : 'SUCCEEDED'), sighting);
    await ledger.flushNow(true);
  }
  const long = rowsWanted + 1;
  for (let s = 0; s < 10_000; s++) {
    ledger.observe(reading(long, s % 1000, T0 + s * 2_000), sighting);
    if (s % CHUNK === 0) await ledger.flushNow(true);
  }
  const restSeconds = (performance.now() - started) / 1000;
  const allBytes = await sizeOf(store, ledger);
  console.log(
    `then ${(rowsWanted - FULL).toLocaleString('en')} batches with a short timeline written in ` +
      `${restSeconds.toFixed(1)} s; store ${(allBytes / 1e6).toFixed(1)} MB`,
  );

  // 3. The queries.
  const filter = { statuses: ['SUCCEEDED', 'FAILED'] as BatchStatus[], search: desk(37) };
  const order = { field: 'CREATED_AT', direction: 'DESC' } as const;
  /** One 100-row page of the ledger-served list of Check from `token`, as a `batches` page with the filter. */
  const pageAt = (token: string | number | null) =>
    ledger.page('FACT_CHECK', 'default', null, filter, order, token, 100);
  let token: string | number | null = null;
  let total = 0;
  for (let page = 0; page < 20; page++) {
    const p = await pageAt(token);
    token = p.next;
    if (page === 0) total = p.total ?? 0;
  }
  if (token === null) throw new Error(`the search matches too few rows for a 20th page (${total})`);
  const deep = token;
  const page = await timed(async () => {
    const p = await pageAt(deep);
    if (p.items.length !== 100) throw new Error(`a deep page of ${p.items.length} rows`);
  });
  const compiled = lastPage ? store.db.getExecutor().compileQuery(lastPage, { queryId: 'page' } as never) : undefined;
  const counts = await timed(() => ledger.counts([{ provider: 'FACT_CHECK', scope: 'default', viewer: null }], filter));
  const key = {
    provider: 'FACT_CHECK' as const,
    scope: 'default',
    providerBatchId: reading(long, 0, 0).providerBatchId,
  };
  let samples = 0;
  const series = await timed(async () => {
    const points = await ledger.progress(key);
    samples = points.length;
    downsampled(points, 200);
  });
  console.log('| query | p50 | p99 |');
  console.log('|---|---|---|');
  console.log(
    `| 100-row page, status filter, search "${filter.search}" (${total} matches), page 20 | ` +
      `${ms(page.p50)} | ${ms(page.p99)} |`,
  );
  console.log(`| batchCounts, same filter and search | ${ms(counts.p50)} | ${ms(counts.p99)} |`);
  console.log(`| progressSeries(maxPoints: 200) of ${samples} samples | ${ms(series.p50)} | ${ms(series.p99)} |`);
  if (compiled) {
    console.log(`the page's query:\n  ${compiled.sql}`);
    const explain = storeKind === 'postgres' ? 'explain ' : 'explain query plan ';
    const plan = await store.db.executeQuery(CompiledQuery.raw(explain + compiled.sql, [...compiled.parameters]));
    console.log('its plan:');
    for (const row of plan.rows as Record<string, unknown>[])
      console.log(`  ${String(row['QUERY PLAN'] ?? row.detail ?? JSON.stringify(row))}`);
  }
  await ledger.close();
} finally {
  cluster?.close();
  rmSync(dataDir, { recursive: true, force: true });
}
