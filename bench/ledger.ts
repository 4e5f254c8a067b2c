/**
 * `npm run bench:ledger`: the event-loop delay the ledger adds with 5,000 watched batches (issue 29). Each
 * batch is read every 2 s (`LIVE_POLL_RUNNING_MS`), spread evenly, as the poll hub does: 2,500 readings a
 * second, each with new counts (so each is a change, written), told to a real ledger (`node:sqlite` in a
 * temporary DATA_DIR) exactly as the recording provider tells it. The same load runs first without the ledger,
 * then with it; both are measured with `perf_hooks.monitorEventLoopDelay`. Prints the delays (p50, p99, max),
 * the flushes (count, rows, time) and the store's size.
 *   BENCH_BATCHES (default 5000), BENCH_SECONDS (20 per phase), BENCH_POLL_MS (2000),
 *   BENCH_STORE (`embedded`, the default, or `postgres`: a throwaway local cluster, `src/dev/local-postgres.ts`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import type { Batch } from '../src/domain/batch.js';
import { checkReading as reading } from './ledger-reading.js';
import { Ledger } from '../src/ledger/ledger.js';
import { openSqliteLedger, type LedgerStore } from '../src/ledger/store.js';
import { openPostgresLedger } from '../src/ledger/postgres-store.js';
import { startLocalPostgres, type LocalPostgres } from '../src/dev/local-postgres.js';

const batches = Number(process.env.BENCH_BATCHES ?? 5000);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const pollMs = Number(process.env.BENCH_POLL_MS ?? 2000);
const storeKind = process.env.BENCH_STORE === 'postgres' ? 'postgres' : 'embedded';
const TICK_MS = 10;

/** Runs the polling load for `seconds`; `see` is told each reading. Answers the loop delay seen meanwhile. */
async function phase(see: ((batch: Batch) => void) | undefined) {
  const perTick = (batches * TICK_MS) / pollMs;
  const counts = new Array<number>(batches).fill(0);
  let next = 0;
  let carry = 0;
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const timer = setInterval(() => {
    carry += perTick;
    for (; carry >= 1; carry--) {
      const i = next;
      next = (next + 1) % batches;
      counts[i] = (counts[i]! + 7) % 1000;
      const batch = reading(i, counts[i]!);
      see?.(batch);
    }
  }, TICK_MS);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(timer);
  histogram.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
}

const dataDir = mkdtempSync(join(tmpdir(), 'batchql-bench-ledger-'));
try {
  console.log(
    `bench:ledger: ${batches} watched batches, each read every ${pollMs} ms, ${seconds} s per phase, ` +
      `the ${storeKind} store`,
  );
  const without = await phase(undefined);
  let cluster: LocalPostgres | undefined;
  let store: LedgerStore;
  if (storeKind === 'postgres') {
    cluster = await startLocalPostgres();
    store = await openPostgresLedger({ url: cluster.url, poolMax: 10, idleMs: 30_000, deadlineMs: 2_000 });
  } else store = await openSqliteLedger(dataDir);
  let flushes = 0;
  let rows = 0;
  let flushSeconds = 0;
  let flushMax = 0;
  const ledger = new Ledger(store, {
    cacheMaxEntries: 20_000,
    log: pino({ level: 'warn' }),
    observer: {
      written: (kind, n) => {
        if (kind === 'batch') rows += n;
      },
      failed: () => {},
      served: () => {},
      timed: (op, s) => {
        if (op !== 'flush') return;
        flushes++;
        flushSeconds += s;
        flushMax = Math.max(flushMax, s);
      },
    },
  });
  const withLedger = await phase((batch) => ledger.observe(batch, { scope: 'default', viewer: '', lacks: [] }));
  await ledger.flushNow(true);
  const bytes = ledger.size();
  await ledger.close();
  cluster?.close();
  console.log('| phase | loop delay p50 | p99 | max |');
  console.log('|---|---|---|---|');
  console.log(`| without the ledger | ${without.p50} ms | ${without.p99} ms | ${without.max} ms |`);
  console.log(`| with the ledger | ${withLedger.p50} ms | ${withLedger.p99} ms | ${withLedger.max} ms |`);
  console.log(
    `flushes: ${flushes} (${(rows / Math.max(1, flushes)).toFixed(0)} rows each, ` +
      `${((flushSeconds / Math.max(1, flushes)) * 1000).toFixed(2)} ms mean, ` +
      `${(flushMax * 1000).toFixed(2)} ms max); ${rows} rows written; store ${(bytes / 1e6).toFixed(1)} MB`,
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
