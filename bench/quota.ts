/**
 * `npm run bench:quota`: live progress inside a real provider quota. The Check simulator enforces
 * its Pro plan (200 requests a minute, 429 beyond), the gateway (its own process, as `npm start`)
 * budgets Check by `FACTCHECK_PLAN=pro`; SSE subscribers watch BENCH_BATCHES running Check batches
 * while one interactive client sends a query a second. Prints upstream 429s, the share of
 * interactive queries served, the worst time a watched batch went without a fresh reading, and
 * upstream calls per watched batch per minute.
 *   BENCH_BATCHES (default 200), BENCH_SECONDS (180), LIVE_BULK_REFRESH (passed to the gateway).
 */
import { Agent } from 'undici';
import { toGlobalId } from '../src/domain/global-id.js';
import { simulatorEnv } from '../src/dev/gateway-env.js';
import { spawnGateway } from '../src/dev/gateway-process.js';
import { createSystemClock, startSimulators } from '../src/dev/simulators/index.js';
import { forEachNext, openSse } from './sse.js';

const batchCount = Number(process.env.BENCH_BATCHES ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 180);

const sims = await startSimulators({
  clock: createSystemClock(),
  seed: 5,
  batchCount: Math.ceil(batchCount / 0.85) + 20,
  profile: 'longRunning',
  factCheckPlan: 'pro',
});
const running = sims.factCheck.control.idsByState().running!.slice(0, batchCount);
if (running.length < batchCount) throw new Error(`only ${running.length} running batches`);
const done = sims.factCheck.control.idsByState().done!;

const gateway = await spawnGateway({
  ...simulatorEnv(sims),
  // The documented Pro quota on both sides (simulatorEnv turns budgets off for other benches).
  FACTCHECK_PLAN: 'pro',
  FACTCHECK_RATE_LIMIT: '',
  LIVE_MAX_SUBSCRIPTIONS: String(batchCount + 100),
  LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT: String(batchCount + 100),
  ...(process.env.LIVE_BULK_REFRESH ? { LIVE_BULK_REFRESH: process.env.LIVE_BULK_REFRESH } : {}),
});

const agent = new Agent({ connections: null, pipelining: 0, bodyTimeout: 0, headersTimeout: 30_000 });
const query = 'subscription($id: ID!) { batch(id: $id) { providerBatchId observedAt progress { processed } } }';
const lastFresh = new Map<string, number>();
let worstGapMs = 0;
let measuring = false;
const controllers: AbortController[] = [];

async function watch(id: string): Promise<void> {
  const controller = new AbortController();
  controllers.push(controller);
  try {
    const body = await openSse(gateway.url, query, { id: toGlobalId('FACT_CHECK', id) }, controller.signal, agent);
    await forEachNext(body, (payload) => {
      const batch = (payload as { data?: { batch?: { observedAt: string } } }).data?.batch;
      if (!batch) return;
      const observed = Date.parse(batch.observedAt);
      const previous = lastFresh.get(id);
      if (measuring && previous !== undefined) worstGapMs = Math.max(worstGapMs, observed - previous);
      lastFresh.set(id, Math.max(previous ?? 0, observed));
    });
  } catch {
    // aborted at the end
  }
}

console.log(
  `batchql bench:quota: ${batchCount} watched running Check batches on the Pro plan (200/min) ` +
    `+ 1 query/s, ${seconds}s, Node ${process.version}`,
);
for (const id of running) void watch(id);
await new Promise((r) => setTimeout(r, 3000));
sims.factCheck.control.resetCounters();
measuring = true;
const started = Date.now();
let asked = 0;
let served = 0;
const codes = new Map<string, number>();
while (Date.now() - started < seconds * 1000) {
  const tick = Date.now();
  asked++;
  try {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query($id: ID!) { node(id: $id) { id ... on Batch { status } } }',
        variables: { id: toGlobalId('FACT_CHECK', done[asked % done.length]!) },
      }),
    });
    const body = (await res.json()) as { errors?: { message?: string; extensions?: { code?: string } }[] };
    if (!body.errors) served++;
    else {
      const code = `${body.errors[0]?.extensions?.code ?? 'UNKNOWN'}: ${body.errors[0]?.message ?? ''}`;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  } catch {
    codes.set('NETWORK', (codes.get('NETWORK') ?? 0) + 1);
  }
  await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
}
measuring = false;
// A batch whose last fresh reading is older than the run's end also counts toward the worst gap.
const end = Date.now();
for (const id of running) worstGapMs = Math.max(worstGapMs, end - (lastFresh.get(id) ?? started));
// Freshness at the source: every answer of the simulator that carried the batch's state (a single read or a
// list row) is a fresh reading, whether or not it changed anything a subscriber sees.
let worstReadingGapMs = 0;
for (const id of running) {
  const marks = [started, ...sims.factCheck.control.readings(id).filter((t) => t >= started), end];
  for (let i = 1; i < marks.length; i++) worstReadingGapMs = Math.max(worstReadingGapMs, marks[i]! - marks[i - 1]!);
}
const counters = sims.factCheck.control.counters();
const minutes = (end - started) / 60_000;
const calls = sims.factCheck.control.totalRequests();
console.log(`upstream 429s: ${sims.factCheck.control.refused()} (goal 0)`);
console.log(
  `interactive queries served: ${served}/${asked} (${((served / asked) * 100).toFixed(1)}%, goal ≥ 99%)` +
    (codes.size ? `; failures ${JSON.stringify(Object.fromEntries(codes))}` : ''),
);
console.log(
  `worst time without a fresh reading: ${(worstReadingGapMs / 1000).toFixed(1)} s (goal ≤ 10 s with bulk refresh); ` +
    `worst time without an event: ${(worstGapMs / 1000).toFixed(1)} s (events come only when the batch changed)`,
);
console.log(`upstream calls by route: ${JSON.stringify(counters)}`);
console.log(
  `upstream calls: ${calls} in ${minutes.toFixed(1)} min = ${(calls / minutes).toFixed(0)}/min, ` +
    `${(calls / minutes / batchCount).toFixed(2)} per watched batch per minute`,
);
if (process.env.BENCH_DEBUG) {
  const metrics = await (await fetch(gateway.url.replace(/\/graphql$/, '/metrics'))).text();
  const upstream = metrics.split('\n').filter((l) => l.startsWith('batchql_upstream_requests'));
  console.log(upstream.join('\n'));
  const warnings = gateway.logs().filter((l) => Number(l.level) >= 40);
  for (const line of warnings.slice(0, 8)) console.log(JSON.stringify(line));
}
for (const c of controllers) c.abort();
await gateway.kill();
await sims.close();
process.exit(0);
