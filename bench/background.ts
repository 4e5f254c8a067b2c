/**
 * `npm run bench:background`: what the background watch costs upstream (issue 32, docs/live-progress.md
 * "Background watching"), in calls a minute per 100 watched batches, for each provider at the default pace.
 *
 * Four runs, one after the other, each with simulators and a gateway of its own: Reach, Gameball, Check (through
 * its list, the default) and Check with `LIVE_BULK_REFRESH=false` (each batch read on its own). A run starts the
 * simulators in this process (real clock, the `longRunning` data set: every running batch still runs 4.5 minutes
 * after the start, longer than a run) and the gateway in this process too (`startGateway`, as `src/main.ts` builds
 * it: the embedded ledger in a temporary DATA_DIR, its undici clients reaching the simulators over loopback), so
 * the bench can write the ledger and read the hub's counts. Nobody subscribes, nobody queries. WATCHED running
 * batches of the run's provider are recorded in the ledger as submitted through batchql (`Ledger.submitted`, as
 * a submit mutation does with its read-back), the watch's scan picks them up, and once all are watched and a pace
 * has passed (their first reads done), the simulators' counters are reset and the calls the provider's simulator
 * receives in BENCH_SECONDS are counted.
 *
 * The pace: at the default `LIVE_POLL_BACKGROUND_MS` (30 s) a run would need minutes to count enough reads, so
 * the runs go at BENCH_PACE_MS (3 s) and each figure is also printed scaled to the default pace (calls × pace ÷
 * default): every interval of a background watch, a single read's or a Check walk's, is the pace, so the calls are
 * proportional to it. The gateway has no budget (the simulators' environment turns budgets off): the figures are
 * what the pace asks for, not what a budget lets through. The shares of each provider's documented budget are
 * taken from the gateway's configuration without that override (`loadConfig`: Check's plan, Gameball's documented
 * windows, Reach none), the polling part of a window being what `UPSTREAM_INTERACTIVE_SHARE` leaves it.
 *
 * It asserts sanity only (exit 1 otherwise): all batches watched, every one read during the measurement, no 429,
 * no call to another provider.
 *   BENCH_SECONDS (default 30), BENCH_PACE_MS (3000), BENCH_BATCHES (each simulator's data set, 150: 135 running
 *   at the start, 6 queued that start within 2 minutes; Check's list walk costs ⌈running ÷ 100⌉ pages).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type GatewayConfig } from '../src/config.js';
import type { ProviderName } from '../src/providers/names.js';
import { simulatorEnv } from '../src/dev/gateway-env.js';
import { createSystemClock, startSimulators, type Simulators } from '../src/dev/simulators/index.js';
import type { SimulatorKey } from '../src/dev/simulators/registry.js';
import { startGateway, type RunningGateway } from '../src/runtime.js';
import { formatRateLimit, type RateWindow } from '../src/upstream/budget/rate-limit.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const paceMs = Number(process.env.BENCH_PACE_MS ?? 3000);
const dataSet = Number(process.env.BENCH_BATCHES ?? 150);
/** Batches watched in the background in each run: the figures are per 100. */
const WATCHED = 100;
/** How often the watch scans the ledger (60 s by default): the submissions are picked up at once. */
const SCAN_MS = 200;

/** One measured run: a provider, and how its watches are read. */
interface Run {
  provider: ProviderName;
  /** The provider's simulator among the started ones (per run, so a provider added later breaks nothing here). */
  sim: SimulatorKey;
  label: string;
  how: string;
  /** Extra gateway variables. */
  env: Record<string, string>;
}

/** What a run counted over the measurement. */
interface Measured {
  run: Run;
  calls: number;
  byRoute: Record<string, number>;
  minutes: number;
  /** Watched batches the simulator's answers never carried during the measurement (sanity: 0). */
  unread: number;
  /** Check's running batches at the end (a walk's pages: ⌈this ÷ 100⌉). */
  running: number;
  /** What went wrong (sanity), empty when nothing. */
  problems: string[];
}

const RUNS: Run[] = [
  { provider: 'REACH', sim: 'reach', label: 'Reach', how: 'each read on its own', env: {} },
  { provider: 'GAMEBALL', sim: 'gameball', label: 'Gameball', how: 'each read on its own', env: {} },
  {
    provider: 'FACT_CHECK',
    sim: 'factCheck',
    label: 'Check',
    how: 'through its list (100 a page)',
    env: { LIVE_BULK_REFRESH: 'true' },
  },
  {
    provider: 'FACT_CHECK',
    sim: 'factCheck',
    label: 'Check, `LIVE_BULK_REFRESH=false`',
    how: 'each read on its own',
    env: { LIVE_BULK_REFRESH: 'false' },
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `done()` holds, checking every 50 ms; throws naming `what` after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The simulators of one run: every provider, the `longRunning` data set. */
function simulators(seed: number): Promise<Simulators> {
  return startSimulators({ clock: createSystemClock(), seed, batchCount: dataSet, profile: 'longRunning' });
}

/**
 * A gateway in this process in front of `sims`, as `src/main.ts` starts one, with the embedded ledger in `dataDir`,
 * the background pace `paceMs`, no budget, and only error lines logged (kept in `errors`).
 */
function gateway(sims: Simulators, dataDir: string, run: Run, errors: string[]): Promise<RunningGateway> {
  const config = loadConfig({
    ...simulatorEnv(sims),
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    LIVE_POLL_BACKGROUND_MS: String(paceMs),
    WATCH_BACKGROUND_SCAN_MS: String(SCAN_MS),
    ...run.env,
  });
  return startGateway(config, { host: '127.0.0.1', logDestination: { write: (line: string) => errors.push(line) } });
}

/**
 * Records `ids` in the gateway's ledger as submitted through batchql, each with its reading of now (read through
 * the gateway's provider, before the counters are reset), and writes them to the store, where the scan finds them.
 */
async function submit(running: RunningGateway, provider: ProviderName, ids: string[]): Promise<void> {
  const ledger = running.ledger!;
  const client = running.providers[provider]!;
  for (const id of ids) {
    const batch = await client.get(id);
    ledger.submitted(batch, { scope: 'default', lacks: [] }, { subject: 'bench', tenant: null });
  }
  await ledger.flushNow();
}

/** One run: the calls the provider's simulator received in `seconds` with WATCHED batches watched in the background. */
async function measure(run: Run, seed: number): Promise<Measured> {
  const sims = await simulators(seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'batchql-bench-background-'));
  const errors: string[] = [];
  const running = await gateway(sims, dataDir, run, errors);
  try {
    const sim = sims[run.sim];
    const ids = sim.control.idsByState().running!.slice(0, WATCHED);
    if (ids.length < WATCHED) throw new Error(`only ${ids.length} running ${run.label} batches (BENCH_BATCHES)`);
    await submit(running, run.provider, ids);
    const hub = running.live.hub;
    await until(() => hub.stats().backgroundWatches === WATCHED, 10_000, `${WATCHED} background watches`);
    // Their first reads (all at once, as the scan adds them) are done within a pace: the steady state is counted.
    await sleep(paceMs);
    for (const s of sims.all()) s.control.resetCounters();
    const started = Date.now();
    await sleep(seconds * 1000);
    const minutes = (Date.now() - started) / 60_000;
    const problems: string[] = [];
    const watches = hub.stats().backgroundWatches;
    if (watches !== WATCHED) problems.push(`${watches} background watches at the end, not ${WATCHED}`);
    const unread = ids.filter((id) => sim.control.readings(id).length === 0).length;
    if (unread > 0) problems.push(`${unread} watched batches not read during the measurement`);
    if (sim.control.refused() > 0) problems.push(`${sim.control.refused()} 429s`);
    for (const other of sims.all())
      if (other !== sim && other.control.totalRequests() > 0)
        problems.push(`${other.control.totalRequests()} calls to another provider`);
    if (errors.length > 0) problems.push(`${errors.length} error lines logged, the first: ${errors[0]!.trim()}`);
    return {
      run,
      calls: sim.control.totalRequests(),
      byRoute: sim.control.counters(),
      minutes,
      unread,
      running: sims.factCheck.control.idsByState().running!.length,
      problems,
    };
  } finally {
    await running.close();
    await sims.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The configuration the budgets and the default pace come from: the simulators' environment, no budget overridden. */
async function defaults(): Promise<GatewayConfig> {
  const sims = await simulators(1);
  try {
    const env = Object.fromEntries(Object.entries(simulatorEnv(sims)).filter(([k]) => !k.endsWith('_RATE_LIMIT')));
    return loadConfig(env);
  } finally {
    await sims.close();
  }
}

/** Calls a minute per 100 watched batches: measured at `paceMs`, and scaled to `defaultMs`. */
function perHundred(m: Measured, defaultMs: number): { measured: number; scaled: number } {
  const measured = ((m.calls / m.minutes) * 100) / WATCHED;
  return { measured, scaled: (measured * paceMs) / defaultMs };
}

/**
 * The share of `windows` (a provider's documented budget) that `perMinute` calls take, window by window: of the
 * whole window and of its polling part, what `interactiveShare` leaves (the formula of `ProviderQuota`'s pace,
 * `src/upstream/budget/quota.ts`). The largest polling share comes first: it is the one that binds.
 */
function budgetShare(perMinute: number, windows: readonly RateWindow[], interactiveShare: number): string {
  if (windows.length === 0) return 'none documented';
  const parts = windows.map((w) => {
    const inWindow = (perMinute * w.windowMs) / 60_000;
    const polling = Math.max(1, Math.floor(w.limit * (1 - interactiveShare)));
    return {
      polling: inWindow / polling,
      text:
        `${fixed(inWindow)} per ${formatRateLimit([w])}: ${percent(inWindow / w.limit)} of it, ` +
        `${percent(inWindow / polling)} of its polling ${polling}`,
    };
  });
  return parts
    .sort((a, b) => b.polling - a.polling)
    .map((p) => p.text)
    .join('; ');
}

const fixed = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const percent = (ratio: number) => `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)} %`;

/** Prints the figures of every run: one line per run as it ends, then the table. */
function report(results: Measured[], config: GatewayConfig): void {
  const defaultMs = config.live.backgroundMs;
  const share = config.upstream.interactiveShare;
  console.log(
    `\n| provider | how | calls in ${seconds} s, measured at the ${paceMs / 1000} s pace | ` +
      `calls/min per ${WATCHED}, measured (${paceMs / 1000} s pace) | ` +
      `calls/min per ${WATCHED}, scaled to the default ${defaultMs / 1000} s pace | ` +
      `documented budget | share of it at the default pace (scaled) |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const m of results) {
    const { measured, scaled } = perHundred(m, defaultMs);
    const windows = config.providers[m.run.provider]?.rateLimit ?? [];
    console.log(
      `| ${m.run.label} | ${m.run.how} | ${m.calls} | ${fixed(measured)} | ${fixed(scaled)} | ` +
        `${formatRateLimit(windows)} | ${budgetShare(scaled, windows, share)} |`,
    );
  }
  console.log(
    `measured: counted at the simulators over ${seconds} s with LIVE_POLL_BACKGROUND_MS=${paceMs}; ` +
      `scaled: × ${paceMs}/${defaultMs} (every background interval is the pace). Polling part of a window: ` +
      `${percent(1 - share)} of it (UPSTREAM_INTERACTIVE_SHARE ${share}).`,
  );
}

console.log(
  `batchql bench:background: ${new Date().toISOString()}, ${WATCHED} background-watched running batches per ` +
    `provider, no subscriber, no query, no budget; pace ${paceMs} ms, ${seconds} s measured per run; ` +
    `${dataSet} batches per simulator; Node ${process.version}, ${cpus().length} cores`,
);
const config = await defaults();
// Below the running interval a background watch is read at that interval, not at the pace: the scaling would not hold.
if (paceMs < config.live.runningMs)
  throw new Error(`BENCH_PACE_MS is below LIVE_POLL_RUNNING_MS (${config.live.runningMs})`);
const results: Measured[] = [];
for (const [i, run] of RUNS.entries()) {
  const m = await measure(run, 32 + i);
  results.push(m);
  const check =
    m.run.provider === 'FACT_CHECK'
      ? `; Check running at the end: ${m.running} (a walk: ${Math.ceil(m.running / 100)} pages)`
      : '';
  console.log(
    `${m.run.label}: ${m.calls} calls in ${(m.minutes * 60).toFixed(1)} s ${JSON.stringify(m.byRoute)}, ` +
      `${WATCHED - m.unread}/${WATCHED} watched batches read${check}` +
      (m.problems.length ? `; SANITY: ${m.problems.join('; ')}` : ''),
  );
}
report(results, config);
process.exit(results.some((m) => m.problems.length > 0) ? 1 : 0);
