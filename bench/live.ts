/**
 * `npm run bench:live`: N subscribers over SSE on M running Check batches, against the
 * simulators (in this process, real clock) and the built gateway (its own process, as `npm start`).
 * Prints upstream polls per batch per minute, subscribers served per poll, the delay from the
 * upstream change (the simulator's model knows when each count was reached) to the client
 * event, and the gateway's memory per subscriber: heap used after a forced GC (through the
 * inspector protocol, `inspector.ts`) and RSS, for SSE (one stream each) and then for WebSocket
 * (graphql-ws, 100 subscriptions per socket).
 *   BENCH_SUBSCRIBERS (default 5000), BENCH_BATCHES (500), BENCH_SECONDS (60),
 *   BENCH_WS_SUBSCRIPTIONS (5000, in sockets of 100; 0 skips the WebSocket part),
 *   BENCH_HEAP_SNAPSHOTS (a directory: heap snapshots idle, with SSE, after SSE and with WebSocket,
 *   taken after each memory reading; compare two with `bench/heap-diff.ts`).
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { Agent } from 'undici';
import WebSocket from 'ws';
import { toGlobalId } from '../src/domain/global-id.js';
import { simulatorEnv } from '../src/dev/gateway-env.js';
import { BUILT_COMMAND, spawnGateway } from '../src/dev/gateway-process.js';
import { createSystemClock, startSimulators } from '../src/dev/simulators/index.js';
import { buildIfStale } from './build.js';
import { connectInspector, INSPECT_ARG, type MemoryUsage } from './inspector.js';
import { forEachNext, openSse } from './sse.js';

const subscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 5000);
const batchCount = Number(process.env.BENCH_BATCHES ?? 500);
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const wsSubscriptions = Number(process.env.BENCH_WS_SUBSCRIPTIONS ?? 5000);
const PER_SOCKET = 100;
const snapshotDir = process.env.BENCH_HEAP_SNAPSHOTS;

// Check's data set is 20% running: generate enough batches for M running ones.
const sims = await startSimulators({
  clock: createSystemClock(),
  seed: 3,
  batchCount: Math.max(300, batchCount * 5 + 100),
});
const running = sims.factCheck.control.idsByState().running!.slice(0, batchCount);
if (running.length < batchCount) throw new Error(`only ${running.length} running batches`);

buildIfStale();
const capacity = String(Math.max(subscribers, wsSubscriptions) + 100);
const gateway = await spawnGateway(
  {
    ...simulatorEnv(sims),
    UPSTREAM_CONNECTIONS: '64',
    LIVE_MAX_SUBSCRIPTIONS: capacity,
    // Every subscriber here is one client (loopback, no authentication).
    LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT: capacity,
  },
  { command: BUILT_COMMAND, nodeArgs: [INSPECT_ARG], maxOutputChars: 200_000 },
);
let stopping = false;
void gateway.exited.then(({ code, signal }) => {
  if (stopping) return;
  console.error(
    `the gateway exited (${code ?? signal}) during the bench; its last output:\n${gateway.output().slice(-4000)}`,
  );
  process.exit(1);
});
const inspector = await connectInspector(gateway.output);
/** A heap snapshot named `name` in BENCH_HEAP_SNAPSHOTS, when set. */
async function snapshot(name: string): Promise<void> {
  if (!snapshotDir) return;
  mkdirSync(snapshotDir, { recursive: true });
  const path = join(snapshotDir, `${name}.heapsnapshot`);
  await inspector.heapSnapshot(path);
  console.log(`heap snapshot: ${path}`);
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
/** Memory with `count` subscribers against `idle`: heap used after GC first, RSS beside it. */
function memoryLine(what: string, idle: MemoryUsage, loaded: MemoryUsage, count: number): string {
  const per = (key: 'heapUsed' | 'rss') => ((loaded[key] - idle[key]) / Math.max(1, count) / 1024).toFixed(1);
  return (
    `gateway memory, ${what}: heap used after GC ${MiB(idle.heapUsed)} idle -> ${MiB(loaded.heapUsed)} ` +
    `with ${count} = ${per('heapUsed')} KiB each; RSS ${MiB(idle.rss)} -> ${MiB(loaded.rss)} = ${per('rss')} KiB each`
  );
}
await pause(1000);
const idle = await inspector.memoryAfterGc();
await snapshot('idle');

const agent = new Agent({ connections: null, pipelining: 0, bodyTimeout: 0, headersTimeout: 30_000 });
const query =
  'subscription($id: ID!) { batch(id: $id) { ' +
  'providerBatchId observedAt progress { processed total percent ratePerSecond } } }';
const delays: number[] = [];
const readDelays: number[] = [];
let events = 0;
let connected = 0;
let failures = 0;
/** Why subscribers failed (the first few kinds, counted). */
const reasons = new Map<string, number>();
const failed = (why: string) => {
  failures++;
  reasons.set(why, (reasons.get(why) ?? 0) + 1);
};
let measuring = false;
const controllers: AbortController[] = [];

async function subscriber(i: number): Promise<void> {
  const id = running[i % running.length]!;
  const controller = new AbortController();
  controllers.push(controller);
  let first = true;
  // Every reading is an event for this selection (`observedAt`): a change is one whose count moved.
  let seen = -1;
  try {
    const body = await openSse(gateway.url, query, { id: toGlobalId('FACT_CHECK', id) }, controller.signal, agent);
    await forEachNext(body, (payload) => {
      const now = Date.now();
      if (first) {
        first = false;
        // A refusal (a limit) arrives as an event with errors on a 200 stream: not a subscriber.
        const errors = (payload as { errors?: { extensions?: { code?: string } }[] }).errors;
        if (errors?.length) return void failed(`refused: ${errors[0]?.extensions?.code ?? 'error'}`);
        connected++;
      }
      const batch = (payload as { data?: { batch?: { observedAt: string; progress: { processed: number } } } }).data
        ?.batch;
      if (!batch || !measuring) return;
      events++;
      const changed =
        batch.progress.processed === seen ? null : sims.factCheck.control.changedAt(id, batch.progress.processed);
      seen = batch.progress.processed;
      if (changed !== null) delays.push(now - changed);
      readDelays.push(now - Date.parse(batch.observedAt));
    });
  } catch (error) {
    if (first && !controller.signal.aborted) failed(String((error as Error).cause ?? (error as Error).message));
  }
}

console.log(
  `batchql bench:live: ${new Date().toISOString()}, ${subscribers} SSE subscribers on ${batchCount} running ` +
    `batches, ${seconds}s, then ${wsSubscriptions} WebSocket subscriptions (${PER_SOCKET} a socket), ` +
    `Node ${process.version}, ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
const started = Date.now();
for (let i = 0; i < subscribers; i++) {
  void subscriber(i);
  if (i % 250 === 249) await new Promise((r) => setTimeout(r, 50));
}
while (connected + failures < subscribers && Date.now() - started < 60_000)
  await new Promise((r) => setTimeout(r, 100));
console.log(
  `connected ${connected} subscribers in ${((Date.now() - started) / 1000).toFixed(1)}s (${failures} failed` +
    `${[...reasons].map(([why, n]) => `; ${n}: ${why}`).join('')})`,
);
await pause(3000);
const withSse = await inspector.memoryAfterGc();
await snapshot('sse');

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
console.log(memoryLine('SSE, one stream each (goal <= 32 KiB heap each)', idle, withSse, connected));

for (const c of controllers) c.abort();
await pause(3000);
const afterSse = await inspector.memoryAfterGc();
await snapshot('after-sse');
console.log(
  `gateway memory after the SSE streams closed: heap used ${MiB(afterSse.heapUsed)}, RSS ${MiB(afterSse.rss)}`,
);

if (wsSubscriptions > 0) {
  const wsUrl = gateway.url.replace(/^http/, 'ws');
  const clients: Client[] = [];
  let active = 0;
  let refused = 0;
  const wsStarted = Date.now();
  for (let s = 0; s * PER_SOCKET < wsSubscriptions; s++) {
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    clients.push(client);
    for (let k = 0; k < PER_SOCKET && s * PER_SOCKET + k < wsSubscriptions; k++) {
      const id = running[(s * PER_SOCKET + k) % running.length]!;
      let first = true;
      client.subscribe(
        { query, variables: { id: toGlobalId('FACT_CHECK', id) } },
        {
          next: (payload) => {
            if (!first) return;
            first = false;
            if (payload.errors?.length) refused++;
            else active++;
          },
          error: () => void (first && ((first = false), refused++)),
          complete: () => {},
        },
      );
    }
    if (s % 5 === 4) await pause(50);
  }
  while (active + refused < wsSubscriptions && Date.now() - wsStarted < 60_000) await pause(100);
  console.log(
    `WebSocket: ${active} subscriptions on ${clients.length} sockets in ` +
      `${((Date.now() - wsStarted) / 1000).toFixed(1)}s (${refused} failed)`,
  );
  await pause(3000);
  const withWs = await inspector.memoryAfterGc();
  await snapshot('ws');
  console.log(
    memoryLine(`WebSocket, ${PER_SOCKET} subscriptions a socket (goal <= 10 KiB heap each)`, afterSse, withWs, active),
  );
  for (const client of clients) await client.dispose();
}

inspector.close();
stopping = true;
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await gateway.kill();
await agent.close();
await sims.close();
process.exit(0);
