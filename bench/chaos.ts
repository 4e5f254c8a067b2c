/**
 * `npm run bench:chaos`: two gateway processes on one Redis (their own processes, JWT auth, as
 * `npm start` runs them) under sustained mixed load with live subscribers, while
 *   - Redis is killed and restarted twice,
 *   - one client keeps sending the amplification query (19 aliases × 100 distinct ids),
 *   - one tenant keeps sending a token whose tenant claim is not a legal header value.
 * Prints, for the well-behaved clients: requests served, the share answered without error, p99
 * latency; replicas that exited (goal 0); subscribers to running batches whose progress changed
 * upstream but who went more than 10 s without an event or a stale mark (goal 0); new
 * subscriptions opened while Redis was down that got no first state within 10 s (goal 0).
 *   BENCH_SECONDS (default 70), BENCH_CONNECTIONS (per gateway, default 8),
 *   BENCH_SUBSCRIBERS (per gateway, default 40).
 */
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { Agent } from 'undici';
import { toGlobalId } from '../src/domain/global-id.js';
import { simulatorEnv } from '../src/gateway-env.js';
import { spawnGateway, type GatewayProcess } from '../src/gateway-process.js';
import { startLocalRedis } from '../src/local-redis.js';
import { forEachNext } from './sse.js';
import { createSystemClock, startSimulators } from '../src/simulators/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 70);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
const subscribersPerGateway = Number(process.env.BENCH_SUBSCRIBERS ?? 40);
const STARVED_MS = 10_000;
const SECRET = 'bench-secret-of-at-least-32-characters!';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A redis-server of our own, killed and started again on the same port. */
const redis = await startLocalRedis();

async function token(tenant: string, subject: string): Promise<string> {
  return new SignJWT({ reach_tenant: tenant })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuer('https://idp.bench')
    .setAudience('batchql')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

const sims = await startSimulators({ clock: createSystemClock(), seed: 9, batchCount: 600 });
const env = {
  ...simulatorEnv(
    { reach: sims.reach.url, gameball: sims.gameball.url, factCheck: sims.factCheck.url },
    sims.credentials,
  ),
  AUTH_MODE: 'jwt',
  JWT_SECRET: SECRET,
  JWT_ISSUER: 'https://idp.bench',
  JWT_AUDIENCE: 'batchql',
  REDIS_URL: redis.url,
  REDIS_KEY_PREFIX: `batchql-chaos-${process.pid}:`,
  LIVE_LEASE_MS: '2000',
  LOG_LEVEL: 'info',
};
const gateways: GatewayProcess[] = await Promise.all(
  ['chaos-1', 'chaos-2'].map((name) => spawnGateway({ ...env, INSTANCE_ID: name }, { maxOutputChars: 200_000 })),
);
const exited = new Set<number>();
gateways.forEach((g, i) => g.child.once('exit', () => exited.add(i)));

const good = `Bearer ${await token('tenant-a', 'good-user')}`;
const badClaim = `Bearer ${await token('acme-租户', 'bad-user')}`;
const amplifier = `Bearer ${await token('tenant-b', 'amplifier')}`;

// Ids the well-behaved clients read.
const reachList = await fetch(gateways[0]!.url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: good },
  body: JSON.stringify({ query: '{ reachBatches(first: 5) { edges { node { id } } } }' }),
}).then((r) => r.json() as Promise<{ data: { reachBatches: { edges: { node: { id: string } }[] } } }>);
const reachIds = reachList.data.reachBatches.edges.map((e) => e.node.id);
const checkRunning = sims.factCheck.control.idsByState().running!;
const checkIds = checkRunning.slice(0, 5).map((id) => toGlobalId('FACT_CHECK', id));
const gameballIds = sims.gameball.control
  .idsByState()
  .running!.slice(0, 5)
  .map((id) => toGlobalId('GAMEBALL', id));
const bodies = [
  {
    query: 'query($id: ID!) { node(id: $id) { id ... on Batch { status progress { percent } } } }',
    variables: { id: checkIds[0] },
  },
  { query: 'query($id: ID!) { node(id: $id) { id ... on Batch { status } } }', variables: { id: reachIds[0] } },
  {
    query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Batch { status } } }',
    variables: { ids: [...reachIds.slice(0, 3), ...gameballIds.slice(0, 3), ...checkIds.slice(0, 3)] },
  },
  { query: '{ batches(first: 10) { totalCount edges { node { id status } } } }' },
];

// Subscribers: SSE streams on running Check batches, half on each gateway.
interface Watcher {
  id: string;
  lastEventAt: number;
  lastProcessed: number;
  lastStale: boolean;
  terminal: boolean;
  starved: boolean;
  firstAt: number | null;
  openedAt: number;
  ended: boolean;
}
const agent = new Agent({ connections: null, pipelining: 0, bodyTimeout: 0, headersTimeout: 30_000 });
const controllers: AbortController[] = [];
const watchers: Watcher[] = [];
const lateWatchers: Watcher[] = [];
const WATCH = 'subscription($id: ID!) { batch(id: $id) { providerBatchId isTerminal stale progress { processed } } }';

function watch(gateway: GatewayProcess, upstreamId: string, into: Watcher[]): void {
  const w: Watcher = {
    id: upstreamId,
    lastEventAt: Date.now(),
    lastProcessed: -1,
    lastStale: false,
    terminal: false,
    starved: false,
    firstAt: null,
    openedAt: Date.now(),
    ended: false,
  };
  into.push(w);
  const controller = new AbortController();
  controllers.push(controller);
  void (async () => {
    try {
      const res = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: good },
        body: JSON.stringify({ query: WATCH, variables: { id: toGlobalId('FACT_CHECK', upstreamId) } }),
        signal: controller.signal,
        // @ts-expect-error undici's dispatcher option on Node's fetch
        dispatcher: agent,
      });
      if (!res.body) return;
      await forEachNext(res.body, (payload) => {
        const batch = (
          payload as { data?: { batch?: { isTerminal: boolean; stale: boolean; progress: { processed: number } } } }
        ).data?.batch;
        if (!batch) return;
        w.lastEventAt = Date.now();
        w.firstAt ??= w.lastEventAt;
        w.lastProcessed = batch.progress.processed;
        w.lastStale = batch.stale;
        w.terminal = batch.isTerminal;
      });
    } catch {
      // aborted at the end, or the gateway died (counted as exited)
    } finally {
      w.ended = true;
    }
  })();
}
// Long-running batches only, so every subscriber has live progress through the whole run.
const finishAt = (id: string) => sims.factCheck.control.changedAt(id, Number.MAX_SAFE_INTEGER) ?? 0;
const longRunning = [...checkRunning].sort((a, b) => finishAt(b) - finishAt(a));
for (let i = 0; i < subscribersPerGateway * 2; i++) watch(gateways[i % 2]!, longRunning[i % 20]!, watchers);

/**
 * Samples every second: a subscriber whose batch moved upstream but who has heard nothing (not even `stale`)
 * for 10 s.
 */
const sampler = setInterval(() => {
  const now = Date.now();
  for (const w of watchers) {
    if (w.terminal || w.ended || w.lastStale || w.starved) continue;
    const movedAt = sims.factCheck.control.changedAt(w.id, w.lastProcessed + 1);
    if (movedAt !== null && movedAt < now && now - Math.max(w.lastEventAt, movedAt) > STARVED_MS) w.starved = true;
  }
}, 1_000);

// The hostile clients.
let amplified = 0;
let amplificationRefused = 0;
let badClaims = 0;
let badClaimsRefused = 0;
let hostile = true;
const ampVars = Object.fromEntries(
  Array.from({ length: 19 }, (_, a) => [
    `ids${a}`,
    Array.from({ length: 100 }, (_, i) => toGlobalId('REACH', `amp-${a}-${i}`)),
  ]),
);
const ampQuery = `query(${Object.keys(ampVars)
  .map((k) => `$${k}: [ID!]!`)
  .join(', ')}) { ${Object.keys(ampVars)
  .map((k, a) => `a${a}: nodes(ids: $${k}) { id }`)
  .join(' ')} }`;
void (async () => {
  while (hostile) {
    const res = await fetch(gateways[0]!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: amplifier },
      body: JSON.stringify({ query: ampQuery, variables: ampVars }),
    }).catch(() => null);
    amplified++;
    if (res && (await res.text()).includes('QUERY_TOO_COMPLEX')) amplificationRefused++;
    await sleep(20);
  }
})();
void (async () => {
  while (hostile) {
    const res = await fetch(gateways[1]!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: badClaim },
      body: JSON.stringify({ query: `{ node(id: "${reachIds[0]}") { id } }` }),
    }).catch(() => null);
    badClaims++;
    if (res?.status === 401) badClaimsRefused++;
    await res?.text().catch(() => '');
    await sleep(20);
  }
})();

// Redis: killed at 20% and at 60% of the run, each time for a fifth of it (14 s of a 70 s run).
const outages: { from: number; to: number }[] = [];
const started = Date.now();
void (async () => {
  for (const [down, up] of [
    [0.2, 0.4],
    [0.6, 0.8],
  ] as const) {
    await sleep(Math.max(0, started + down * seconds * 1000 - Date.now()));
    await redis.stop();
    const from = Date.now();
    await sleep(1_000);
    // New subscriptions while Redis is down must still get their first state.
    for (let i = 0; i < 10; i++) watch(gateways[i % 2]!, longRunning[20 + i]!, lateWatchers);
    await sleep(Math.max(0, started + up * seconds * 1000 - Date.now()));
    await redis.start();
    outages.push({ from, to: Date.now() });
  }
})();

console.log(
  `batchql bench:chaos: ${seconds}s, 2 gateways on one Redis, ${connections} connections and ` +
    `${subscribersPerGateway} SSE subscribers per gateway, Node ${process.version}`,
);
let served = 0;
let clean = 0;
const loads = await Promise.all(
  gateways.map((g) =>
    autocannon({
      url: g.url,
      connections,
      duration: seconds,
      timeout: 30,
      requests: bodies.map((b) => ({
        method: 'POST' as const,
        headers: { 'content-type': 'application/json', authorization: good },
        body: JSON.stringify(b),
        onResponse: (status: number, body: string) => {
          served++;
          let errors = 1;
          try {
            errors = ((JSON.parse(body) as { errors?: unknown[] }).errors ?? []).length;
          } catch {
            // not JSON: counted as an error
          }
          if (status === 200 && errors === 0) clean++;
        },
      })),
    }),
  ),
);
hostile = false;
clearInterval(sampler);
await sleep(200);

const p99 = Math.max(...loads.map((l) => l.latency.p99));
const running = watchers.filter((w) => !w.terminal);
const starved = watchers.filter((w) => w.starved).length;
const lateUnserved = lateWatchers.filter((w) => w.firstAt === null || w.firstAt - w.openedAt > STARVED_MS).length;
console.log(`Redis outages: ${outages.map((o) => `${((o.to - o.from) / 1000).toFixed(1)} s`).join(', ')}`);
console.log(
  `well-behaved requests served: ${served} (${(served / seconds).toFixed(0)} req/s); ` +
    `answered without error: ${((100 * clean) / Math.max(1, served)).toFixed(2)} %; p99 ${p99} ms`,
);
console.log(
  `amplification queries: ${amplified}, refused with QUERY_TOO_COMPLEX: ${amplificationRefused}; ` +
    `bad tenant claims: ${badClaims}, refused with 401: ${badClaimsRefused}`,
);
console.log(
  `subscribers: ${watchers.length} (${running.length} still on running batches at the end), ` +
    `new ones during outages: ${lateWatchers.length}`,
);
console.log(
  `must be zero: replicas exited ${exited.size}, subscribers starved > ${STARVED_MS / 1000} s ${starved}, ` +
    `new subscriptions without a first state ${lateUnserved}, ` +
    `amplification not refused ${amplified - amplificationRefused}, ` +
    `bad claims not refused ${badClaims - badClaimsRefused}`,
);

for (const c of controllers) c.abort();
await Promise.all(gateways.map((g) => g.kill()));
await redis.stop();
await agent.close();
await sims.close();
process.exit(
  exited.size + starved + lateUnserved === 0 && amplified === amplificationRefused && badClaims === badClaimsRefused
    ? 0
    : 1,
);
