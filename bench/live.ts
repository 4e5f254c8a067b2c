/**
 * `npm run bench:live`: N subscribers over SSE on M running Check batches, against the
 * simulators (in this process, real clock) and the gateway (its own process, as `npm start`).
 * Prints upstream polls per batch per minute, subscribers served per poll, the delay from the
 * upstream change (the simulator's model knows when each count was reached) to the client
 * event, and the gateway's memory per subscriber.
 *   BENCH_SUBSCRIBERS (default 5000), BENCH_BATCHES (500), BENCH_SECONDS (60).
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { toGlobalId } from '../src/domain/global-id.js';
import { simulatorEnv } from '../src/gateway-env.js';
import { spawnGateway } from '../src/gateway-process.js';
import { createSystemClock, startSimulators } from '../src/simulators/index.js';
import { forEachNext, openSse } from './sse.js';

const subscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 5000);
const batchCount = Number(process.env.BENCH_BATCHES ?? 500);
const seconds = Number(process.env.BENCH_SECONDS ?? 60);

// Check's data set is 20% running: generate enough batches for M running ones.
const sims = await startSimulators({
  clock: createSystemClock(),
  seed: 3,
  batchCount: Math.max(300, batchCount * 5 + 100),
});
const running = sims.factCheck.control.idsByState().running!.slice(0, batchCount);
if (running.length < batchCount) throw new Error(`only ${running.length} running batches`);

const gateway = await spawnGateway({
  ...simulatorEnv(
    { reach: sims.reach.url, gameball: sims.gameball.url, factCheck: sims.factCheck.url },
    sims.credentials,
  ),
  UPSTREAM_CONNECTIONS: '64',
  LIVE_MAX_SUBSCRIPTIONS: String(subscribers + 100),
});
const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8'))?.[1] ?? 0);
await new Promise((r) => setTimeout(r, 1000));
const rssBefore = rssKiB();

const agent = new Agent({ connections: null, pipelining: 0, bodyTimeout: 0, headersTimeout: 30_000 });
const query =
  'subscription($id: ID!) { batch(id: $id) { ' +
  'providerBatchId observedAt progress { processed total percent ratePerSecond } } }';
const delays: number[] = [];
const readDelays: number[] = [];
let events = 0;
let connected = 0;
let failures = 0;
let measuring = false;
const controllers: AbortController[] = [];

async function subscriber(i: number): Promise<void> {
  const id = running[i % running.length]!;
  const controller = new AbortController();
  controllers.push(controller);
  try {
    const body = await openSse(gateway.url, query, { id: toGlobalId('FACT_CHECK', id) }, controller.signal, agent);
    connected++;
    await forEachNext(body, (payload) => {
      const now = Date.now();
      const batch = (payload as { data?: { batch?: { observedAt: string; progress: { processed: number } } } }).data
        ?.batch;
      if (!batch || !measuring) return;
      events++;
      const changed = sims.factCheck.control.changedAt(id, batch.progress.processed);
      if (changed !== null) delays.push(now - changed);
      readDelays.push(now - Date.parse(batch.observedAt));
    });
  } catch {
    if (!controller.signal.aborted) failures++;
  }
}

console.log(
  `batchql bench:live: ${subscribers} SSE subscribers on ${batchCount} running batches, ` +
    `${seconds}s, Node ${process.version}`,
);
const started = Date.now();
for (let i = 0; i < subscribers; i++) {
  void subscriber(i);
  if (i % 250 === 249) await new Promise((r) => setTimeout(r, 50));
}
while (connected + failures < subscribers && Date.now() - started < 60_000)
  await new Promise((r) => setTimeout(r, 100));
console.log(
  `connected ${connected} subscribers in ${((Date.now() - started) / 1000).toFixed(1)}s (${failures} failed)`,
);
await new Promise((r) => setTimeout(r, 3000));
const rssWith = rssKiB();

sims.factCheck.control.resetCounters();
measuring = true;
const t0 = Date.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const elapsedMin = (Date.now() - t0) / 60_000;
const polls = sims.factCheck.control.counters()['GET /v1/batch/:id'] ?? 0;

const pct = (values: number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
console.log(
  `upstream polls: ${polls} in ${(elapsedMin * 60).toFixed(0)}s = ` +
    `${(polls / batchCount / elapsedMin).toFixed(1)} per batch per minute`,
);
console.log(
  `client events: ${events}; subscribers served per upstream poll: ${(events / Math.max(1, polls)).toFixed(1)} ` +
    `(${(subscribers / batchCount).toFixed(0)} subscribers per batch)`,
);
console.log(
  `delay upstream change -> client event: p50 ${pct(delays, 50)} ms, p99 ${pct(delays, 99)} ms ` +
    '(includes waiting for the next poll)',
);
console.log(`delay gateway read -> client event: p50 ${pct(readDelays, 50)} ms, p99 ${pct(readDelays, 99)} ms`);
console.log(
  `gateway RSS: ${(rssBefore / 1024).toFixed(0)} MiB idle, ${(rssWith / 1024).toFixed(0)} MiB with subscribers = ` +
    `${(((rssWith - rssBefore) * 1024) / Math.max(1, connected) / 1024).toFixed(1)} KiB per subscriber`,
);

for (const c of controllers) c.abort();
await gateway.kill();
await agent.close();
await sims.close();
process.exit(0);
