/**
 * `npm run bench:chaos`: two gateway processes on one Redis (their own processes, JWT auth, as
 * `npm start` runs them) under sustained mixed load with live subscribers, while
 *   - Redis is killed and restarted twice (at 20 % and 60 % of the run, each time for a fifth of it),
 *   - one replica is stopped (SIGTERM) at 45 % of the run and started again on its port,
 *   - one client keeps sending the amplification query (19 aliases × 100 distinct ids),
 *   - one tenant keeps sending a token whose tenant claim is not a legal header value,
 *   - a hostile client (its own subject) keeps sending the largest Check reads a request may make (`nodes` of
 *     100 distinct batches, and two of them in one request: 200 calls), and two loops send anonymous
 *     multipart requests (no token, ~6 MB of 60,000 tiny file parts each, over node:http),
 *   - a victim (its own subject) reads one Check batch every half second,
 *   - writers submit Check batches, each with a fresh idempotency key, alternating replicas, and retry
 *     every failed write (GraphQL error, HTTP failure, refused connection) with the same key and input on
 *     either replica until they get its batch (60 s at most), while Check answers about a third of the
 *     submits badly after creating the batch (5xx and 408 statuses, a truncated body, another shape, an
 *     oversized body, a reset after the headers, an answer after the deadline: every `afterWrite` answer).
 * Prints, for the well-behaved clients: requests served, the share answered without error, p99
 * latency; replicas that exited other than by the restart (goal 0); subscribers to running batches
 * whose progress changed upstream but who went more than 10 s without an event or a stale mark (goal
 * 0; those cut by the restart subscribe again on the other replica); new subscriptions opened while
 * Redis was down that got no first state within 10 s (goal 0). For the writers: batches created upstream
 * per distinct key (goal exactly 1.00: no key without its batch, none with two); the share of ambiguous
 * writes (a first attempt answered OUTCOME_UNKNOWN, or a transport failure) whose retry returned the
 * batch created upstream (goal ≥ 95 %); writes answered OUTCOME_UNKNOWN. For the hostile load: its reads
 * answered in full; anonymous requests not refused 401 before their body was read nor cut (goal 0); the
 * share of the victim's reads served (goal ≥ 99 %). The gateways run with a 2 s UPSTREAM_DEADLINE_MS so a
 * retry looks for its batch within seconds.
 * Then, the load over and the subscribers gone, an anonymous flood alone: 40 such multipart requests at once,
 * half to each replica, and the CPU (user + system, /proc/<pid>/stat) the two gateway processes spent until
 * each answered its next request, in all and per request, beside what they spend idle for as long, and the
 * growth of their resident memory (goals: under 1 s of CPU in all, under 50 MB).
 * Last, a run of its own with a Pro-plan Check (bench/chaos-budget.ts: 200 calls a window, the window shortened
 * to 10 s, one gateway): the main run's Check is unlimited, so no client's share of a budget is at stake there.
 * For two windows the hostile client reads 100 batches per request back to back, sends its 200-call request
 * (goal: every one refused PROVIDER_BUDGET_EXCEEDED before any call) and anonymous multipart requests, while
 * the victim reads one batch a second (goal: ≥ 99 % served); after a quiet window, a lone client reads 20
 * batches per request as fast as it can for one window: the calls Check served in it ÷ the interactive part of
 * the window, 0.3 × 200 = 60 (goal ≥ 80 %); Check's 429s (goal 0). Exits 1 when a goal is missed.
 *   BENCH_SECONDS (default 70; the Pro-plan run takes about 45 s more), BENCH_CONNECTIONS (per gateway,
 *   default 8), BENCH_SUBSCRIBERS (per gateway, default 40), BENCH_WRITERS (concurrent writers, default 4),
 *   BENCH_REDIS (`durable`, the default: an append-only file synced on every write, so a restarted Redis
 *   still holds the idempotency keys, as production must; `volatile`: a restart comes back empty, which
 *   forgets every key and the marker secret, and so writes twice the keys caught by an outage).
 */
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { Agent } from 'undici';
import { toGlobalId } from '../src/domain/global-id.js';
import { simulatorEnv } from '../src/dev/gateway-env.js';
import { spawnGateway, type GatewayProcess } from '../src/dev/gateway-process.js';
import { startLocalRedis } from '../src/dev/local-redis.js';
import { startDurableRedis } from './durable-redis.js';
import { forEachNext } from './sse.js';
import {
  AFTER_WRITE_ANSWERS,
  createSystemClock,
  startSimulators,
  type FaultRule,
} from '../src/dev/simulators/index.js';
import {
  budgetRun,
  INTERACTIVE_PART,
  LIMIT as PRO_LIMIT,
  NODES_100,
  NODES_200,
  nodes200Variables,
  WINDOW_MS as PRO_WINDOW_MS,
} from './chaos-budget.js';
import {
  codeOf,
  cpuSeconds,
  FLOOD_PARTS,
  floodBody,
  rawPost,
  refusedAnonymous,
  rssBytes,
  type RawOutcome,
} from './raw-http.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 70);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
const subscribersPerGateway = Number(process.env.BENCH_SUBSCRIBERS ?? 40);
const writerCount = Number(process.env.BENCH_WRITERS ?? 4);
const durable = (process.env.BENCH_REDIS ?? 'durable') !== 'volatile';
const STARVED_MS = 10_000;
const SECRET = 'bench-secret-of-at-least-32-characters!';
/** The gateways' upstream deadline: short, so a retry may look for its batch seconds after the first attempt. */
const DEADLINE_MS = 2_000;
/** The gateways' largest upstream answer (a list page of 100 Check rows is about 35 KB). */
const MAX_RESPONSE_BYTES = 256 * 1024;
/** How long a writer keeps retrying one key. */
const RETRY_BOUND_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The victim's pace in the main run (a Check read every half second). */
const VICTIM_EVERY_MS = 500;
/** The anonymous-flood-only phase: requests sent at once (half to each replica), and its goals. */
const FLOOD_REQUESTS = 40;
const FLOOD_CPU_GOAL_S = 1;
const FLOOD_RSS_GOAL_MB = 50;
const MB = 1024 * 1024;

/** A redis-server of our own, killed (SIGKILL) and started again on the same port. */
const redis = durable
  ? await startDurableRedis()
  : await startLocalRedis().then((local) => ({ ...local, remove: local.stop }));

async function token(tenant: string, subject: string, scope?: string): Promise<string> {
  return new SignJWT({ reach_tenant: tenant, ...(scope !== undefined ? { scope } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuer('https://idp.bench')
    .setAudience('batchql')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

const sims = await startSimulators({ clock: createSystemClock(), seed: 9, batchCount: 600 });
const env = {
  ...simulatorEnv(sims),
  AUTH_MODE: 'jwt',
  JWT_SECRET: SECRET,
  JWT_ISSUER: 'https://idp.bench',
  JWT_AUDIENCE: 'batchql',
  REDIS_URL: redis.url,
  REDIS_KEY_PREFIX: `batchql-chaos-${process.pid}:`,
  LIVE_LEASE_MS: '2000',
  UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
  UPSTREAM_CONNECT_TIMEOUT_MS: '1000',
  UPSTREAM_HEADERS_TIMEOUT_MS: String(DEADLINE_MS),
  UPSTREAM_BUDGET_WAIT_MS: '200',
  UPSTREAM_MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES),
  // spawnGateway reads the port from the `listening` line, logged at info; the access log's tail is all that is kept.
  LOG_LEVEL: 'info',
};
// A gateway runs its sources through tsx: on a busy machine its start can take longer than the default 20 s.
const spawnOptions = { maxOutputChars: 200_000, timeoutMs: 90_000 };
const names = ['chaos-1', 'chaos-2'];
const gateways: GatewayProcess[] = await Promise.all(
  names.map((name) => spawnGateway({ ...env, INSTANCE_ID: name }, spawnOptions)),
);
/** Replicas that exited other than by the restart (or the end of the run). */
const exited: string[] = [];
const stopping = new Set<GatewayProcess>();
const watchExit = (g: GatewayProcess, name: string) =>
  g.child.once('exit', () => {
    if (!stopping.has(g)) exited.push(name);
  });
gateways.forEach((g, i) => watchExit(g, names[i]!));
/** The replica stopped and started again at 45 % of the run, and whether it is down now. */
const RESTARTED = 1;
let restarting = false;
/** A replica that is up (the other one while the restarted one is down). */
const up = (i: number): number => (restarting && i === RESTARTED ? 1 - i : i);

const good = `Bearer ${await token('tenant-a', 'good-user')}`;
const badClaim = `Bearer ${await token('acme-租户', 'bad-user')}`;
const amplifier = `Bearer ${await token('tenant-b', 'amplifier')}`;
const writer = `Bearer ${await token('tenant-w', 'chaos-writer', 'batches:read batches:write')}`;
const hostileUser = `Bearer ${await token('tenant-h', 'hostile')}`;
const victimUser = `Bearer ${await token('tenant-v', 'victim')}`;

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
let finishing = false;
/** Subscribers whose stream the restart ended, subscribed again on the other replica (as a client would). */
let movedByRestart = 0;

function watch(index: number, upstreamId: string, into: Watcher[]): void {
  const gateway = gateways[index]!;
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
      if (!finishing && !w.terminal && restarting && index === RESTARTED && into === watchers) {
        movedByRestart++;
        watch(1 - index, upstreamId, watchers);
      }
    }
  })();
}
// Long-running batches only, so every subscriber has live progress through the whole run.
const finishAt = (id: string) => sims.factCheck.control.changedAt(id, Number.MAX_SAFE_INTEGER) ?? 0;
const longRunning = [...checkRunning].sort((a, b) => finishAt(b) - finishAt(a));
for (let i = 0; i < subscribersPerGateway * 2; i++) watch(i % 2, longRunning[i % 20]!, watchers);

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

// The hostile clients. A request the restarted replica could not take (no connection) is not counted.
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
const hostileLoops: Promise<void>[] = [];
hostileLoops.push(
  (async () => {
    while (hostile) {
      const res = await fetch(gateways[0]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: amplifier },
        body: JSON.stringify({ query: ampQuery, variables: ampVars }),
      }).catch(() => null);
      if (res) {
        amplified++;
        if ((await res.text()).includes('QUERY_TOO_COMPLEX')) amplificationRefused++;
      }
      await sleep(20);
    }
  })(),
  (async () => {
    while (hostile) {
      const res = await fetch(gateways[1]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: badClaim },
        body: JSON.stringify({ query: `{ node(id: "${reachIds[0]}") { id } }` }),
      }).catch(() => null);
      if (res) {
        badClaims++;
        if (res.status === 401) badClaimsRefused++;
        await res.text().catch(() => '');
      }
      await sleep(20);
    }
  })(),
);

// The hostile client (its own subject) on the replicas that are up, back to back: the largest Check reads a
// request may make, `nodes` of 100 distinct batches (MAX_NODES), then two such lists in one request, 200 calls
// (MAX_UPSTREAM_CALLS_PER_REQUEST). Check is unlimited here, so both are served; the Pro-plan run refuses the 200.
const allCheckIds = Object.values(sims.factCheck.control.idsByState())
  .flat()
  .map((id) => toGlobalId('FACT_CHECK', id));
const maximal = { sent: 0, complete: 0, codes: [] as string[] };
hostileLoops.push(
  (async () => {
    for (let n = 0; hostile; n++) {
      const lists = n % 2 === 0 ? 1 : 2;
      const from = (n * 100) % (allCheckIds.length - 200);
      const request =
        lists === 1
          ? { query: NODES_100, variables: { ids: allCheckIds.slice(from, from + 100) } }
          : { query: NODES_200, variables: nodes200Variables(allCheckIds, from) };
      const res = await fetch(gateways[up(n % 2)]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: hostileUser },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(30_000),
      }).catch(() => null);
      await sleep(100);
      if (!res) continue;
      maximal.sent++;
      const body = (await res.json().catch(() => ({}))) as {
        data?: Record<string, unknown[] | null>;
        errors?: { extensions?: { code?: string } }[];
      };
      const batches = Object.values(body.data ?? {}).flatMap((list) => list ?? []);
      if (res.status === 200 && !body.errors && batches.length === 100 * lists && batches.every(Boolean))
        maximal.complete++;
      else maximal.codes.push(body.errors?.[0]?.extensions?.code ?? `HTTP ${res.status}`);
    }
  })(),
);
// Anonymous multipart floods: two loops of ~6 MB bodies of 60,000 tiny file parts, no token, over node:http;
// each must be refused 401 before its body is read, or have its connection closed.
const flood = floodBody();
const anonymousHeaders = { 'content-type': flood.contentType, 'x-batchql-csrf': '1' };
/** Outcomes of the anonymous requests a replica took (a refused connection to the restarted one is not counted). */
const anonymous: RawOutcome[] = [];
for (const k of [0, 1])
  hostileLoops.push(
    (async () => {
      for (let n = k; hostile; n += 2) {
        const outcome = await rawPost(gateways[up(n % 2)]!.url, {
          headers: anonymousHeaders,
          body: flood.body,
          timeoutMs: 30_000,
        });
        if (!(outcome.kind === 'closed' && outcome.code === 'ECONNREFUSED')) anonymous.push(outcome);
        await sleep(100);
      }
    })(),
  );

// The victim: a client of its own (subject) reading one Check batch every half second on a replica that is up,
// sent again to the other replica if its connection is refused (as a load balancer would).
const victim = { sent: 0, served: 0, failures: [] as string[], latencies: [] as number[] };
const VICTIM_READ = 'query($id: ID!) { node(id: $id) { id ... on Batch { status progress { percent } } } }';
const victimRead = (g: number, id: string) =>
  fetch(gateways[g]!.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: victimUser },
    body: JSON.stringify({ query: VICTIM_READ, variables: { id } }),
    signal: AbortSignal.timeout(30_000),
  });
const victimLoop = (async () => {
  for (let n = 0; hostile; n++) {
    const next = Date.now() + VICTIM_EVERY_MS;
    const id = allCheckIds[100 + (n % 100)]!;
    const t = Date.now();
    let failure: string | null = null;
    try {
      const g = up(n % 2);
      const res = await victimRead(g, id).catch((error: unknown) => {
        if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return victimRead(up(1 - g), id);
        throw error;
      });
      const body = (await res.json()) as { data?: { node?: unknown }; errors?: { extensions?: { code?: string } }[] };
      if (res.status !== 200 || body.errors || !body.data?.node)
        failure = body.errors?.[0]?.extensions?.code ?? `HTTP ${res.status}`;
    } catch {
      failure = 'transport';
    }
    victim.sent++;
    victim.latencies.push(Date.now() - t);
    if (failure === null) victim.served++;
    else victim.failures.push(failure);
    await sleep(Math.max(0, next - Date.now()));
  }
})();

const started = Date.now();

// The restart: one replica gets SIGTERM at 45 % of the run (between the outages), drains, exits, and is
// started again with the same environment on the same port; clients meanwhile use the other one.
const restart = { at: 0, exitedAfter: 0, upAfter: 0, exit: '', failed: '' };
/** The well-behaved load: one phase on the steady replica, one before and one after the restart on the other. */
const loadPhases: Promise<autocannon.Result>[] = [];
const restartedLoad: { stop?: () => void } = {};
const restarted = (async () => {
  await sleep(Math.max(0, started + 0.45 * seconds * 1000 - Date.now()));
  const old = gateways[RESTARTED]!;
  stopping.add(old);
  restarting = true;
  restart.at = Date.now();
  // A load balancer takes the replica out first: its load stops, and starts again once it is back (a load
  // left on a refused port queues requests that would time the downtime as their latency).
  restartedLoad.stop?.();
  await old.kill('SIGTERM');
  const { code, signal } = await old.exited;
  restart.exit = String(code ?? signal);
  restart.exitedAfter = Date.now() - restart.at;
  let again: GatewayProcess;
  try {
    again = await spawnGateway({ ...env, INSTANCE_ID: names[RESTARTED]!, PORT: String(old.port) }, spawnOptions);
  } catch (error) {
    // It stays down (and clients on the other replica): a failure of the run.
    restart.failed = (error as Error).message.split('\n')[0]!;
    return;
  }
  watchExit(again, names[RESTARTED]!);
  gateways[RESTARTED] = again;
  restarting = false;
  restart.upAfter = Date.now() - restart.at;
  const left = Math.round((started + seconds * 1000 - Date.now()) / 1000);
  if (left > 0) load(again.url, left);
})();

// Redis: killed at 20% and at 60% of the run, each time for a fifth of it (14 s of a 70 s run).
const outages: { from: number; to: number }[] = [];
void (async () => {
  for (const [down, back] of [
    [0.2, 0.4],
    [0.6, 0.8],
  ] as const) {
    await sleep(Math.max(0, started + down * seconds * 1000 - Date.now()));
    // A replica refuses to start without Redis: the second outage waits for the restart to finish.
    if (down > 0.5) await restarted;
    await redis.stop();
    const from = Date.now();
    await sleep(1_000);
    // New subscriptions while Redis is down must still get their first state.
    for (let i = 0; i < 10; i++) watch(up(i % 2), longRunning[20 + i]!, lateWatchers);
    await sleep(Math.max(0, started + back * seconds * 1000 - Date.now()));
    await redis.start();
    outages.push({ from, to: Date.now() });
  }
})();

// Bad answers: after about every third Check submit is performed, Check answers it badly, walking every
// `afterWrite` answer. One `times: 1` rule at a time, added when the one before was used, so the submit
// that used each is known by its number (the nth `POST /v1/batch` creates the nth batch of `created()`).
type AfterWrite = Extract<FaultRule, { kind: 'afterWrite' }>;
const badAnswers: { label: string; rule: AfterWrite }[] = AFTER_WRITE_ANSWERS.flatMap(
  (answer): { label: string; rule: AfterWrite }[] => {
    const rule: AfterWrite = { kind: 'afterWrite', answer, pathPrefix: '/v1/batch', times: 1 };
    if (answer === 'status')
      return [500, 502, 503, 504, 408].map((status) => ({ label: `status ${status}`, rule: { ...rule, status } }));
    if (answer === 'oversized') return [{ label: answer, rule: { ...rule, bytes: MAX_RESPONSE_BYTES * 2 } }];
    if (answer === 'late') return [{ label: answer, rule: { ...rule, delayMs: DEADLINE_MS + 1_500 } }];
    return [{ label: answer, rule }];
  },
);
const submits = () => sims.factCheck.control.counters()['POST /v1/batch'] ?? 0;
/** Submit number (1-based) → the bad answer it got. */
const faulted = new Map<number, string>();
let faultedAt = 0;
const faultKeeper = setInterval(() => {
  const n = submits();
  if (faultedAt > n || n - faultedAt < 2) return;
  const next = badAnswers[faulted.size % badAnswers.length]!;
  sims.factCheck.control.addFault(next.rule);
  faultedAt = n + 1;
  faulted.set(faultedAt, next.label);
}, 5);

// The writers.
interface Write {
  key: string;
  name: string;
  /** Each attempt's answer: `batch`, the GraphQL error's code, `userError CODE`, `HTTP 502`, `transport`. */
  answers: string[];
  batchId: string | null;
}
const writes: Write[] = [];
const SUBMIT =
  'mutation($key: String!, $input: SubmitFactCheckBatchInput!) { submitFactCheckBatch(idempotencyKey: $key, ' +
  'input: $input) { batch { providerBatchId } userErrors { code } } }';
interface GraphQLAnswer {
  data?: { submitFactCheckBatch?: { batch: { providerBatchId: string } | null; userErrors: { code: string }[] } };
  errors?: { extensions?: { code?: string; retryAfterMs?: number } }[];
}

async function submit(
  gateway: GatewayProcess,
  key: string,
  input: unknown,
): Promise<{ answer: string; batchId?: string; retryAfterMs?: number }> {
  try {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: writer },
      body: JSON.stringify({ query: SUBMIT, variables: { key, input } }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let body: GraphQLAnswer;
    try {
      body = JSON.parse(text) as GraphQLAnswer;
    } catch {
      return { answer: `HTTP ${res.status}` };
    }
    const error = body.errors?.[0];
    if (error) {
      const retryAfterMs = error.extensions?.retryAfterMs;
      return {
        answer: error.extensions?.code ?? 'error',
        ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
      };
    }
    const payload = body.data?.submitFactCheckBatch;
    if (payload?.batch) return { answer: 'batch', batchId: payload.batch.providerBatchId };
    if (payload?.userErrors.length) return { answer: `userError ${payload.userErrors[0]!.code}` };
    return { answer: `HTTP ${res.status}` };
  } catch {
    return { answer: 'transport' };
  }
}

let writeSeq = 0;
/** Writes a fresh key at a time until the load ends, each retried with its key until it gets its batch. */
async function writeLoop(): Promise<void> {
  while (Date.now() < started + seconds * 1000) {
    const n = writeSeq++;
    const key = `chaos-${process.pid}-${n}`;
    const input = {
      name: `bench:chaos ${key}`,
      items: Array.from({ length: 1 + (n % 3) }, (_, i) => ({
        content: `Claim ${i} of write ${n}: the figure reported is accurate.`,
      })),
    };
    const w: Write = { key, name: input.name, answers: [], batchId: null };
    writes.push(w);
    const giveUpAt = Date.now() + RETRY_BOUND_MS;
    for (let g = n % 2; ; g = 1 - g) {
      const a = await submit(gateways[g]!, key, input);
      w.answers.push(a.answer);
      if (a.batchId !== undefined) {
        w.batchId = a.batchId;
        break;
      }
      if (Date.now() > giveUpAt) break;
      await sleep(a.retryAfterMs !== undefined ? Math.min(a.retryAfterMs, 10_000) + 50 : 500 + Math.random() * 500);
    }
    await sleep(100);
  }
}
const writeLoops = Array.from({ length: writerCount }, () => writeLoop());

console.log(
  `batchql bench:chaos: ${seconds}s, 2 gateways on one ${durable ? 'durable' : 'volatile'} Redis, ` +
    `${connections} connections and ` +
    `${subscribersPerGateway} SSE subscribers per gateway, ${writerCount} writers, Node ${process.version}`,
);
let served = 0;
let clean = 0;
/** Starts the well-behaved load on one replica for `duration` seconds. */
function load(url: string, duration: number): () => void {
  let instance: autocannon.Instance | undefined;
  loadPhases.push(
    new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon(
        {
          url,
          connections,
          duration,
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
        },
        (error: unknown, result: autocannon.Result) => (error ? reject(error as Error) : resolve(result)),
      );
    }),
  );
  return () => instance?.stop();
}
load(gateways[0]!.url, seconds);
restartedLoad.stop = load(gateways[RESTARTED]!.url, seconds);
await Promise.all(loadPhases);
await restarted;
const loads = await Promise.all(loadPhases);
hostile = false;
clearInterval(sampler);
const p99 = Math.max(...loads.map((l) => l.latency.p99));
const running = watchers.filter((w) => !w.terminal);
const starved = watchers.filter((w) => w.starved).length;
const lateUnserved = lateWatchers.filter((w) => w.firstAt === null || w.firstAt - w.openedAt > STARVED_MS).length;
// The writers finish the keys they began (within their 60 s bound).
await Promise.all(writeLoops);
clearInterval(faultKeeper);
sims.factCheck.control.clearFaults();
await sleep(200);

// Upstream batches per key: every batch Check's API created, by its name (read back from the simulator).
const created = sims.factCheck.control.created().filter((c) => c.route === 'POST /v1/batch');
const detail = async (id: string) =>
  fetch(`${sims.factCheck.url}/v1/batch/${encodeURIComponent(id)}`, {
    headers: { authorization: `Bearer ${sims.credentials.factCheck.apiKey}` },
  }).then((r) => r.json() as Promise<{ name: string | null; context: Record<string, unknown> | null }>);
const upstream = new Map<string, { id: string; marker: unknown }[]>();
for (let i = 0; i < created.length; i += 16) {
  const page = created.slice(i, i + 16);
  const read = await Promise.all(page.map((c) => detail(c.id)));
  read.forEach((b, j) => {
    const list = upstream.get(b.name ?? '') ?? [];
    list.push({ id: page[j]!.id, marker: b.context?.batchqlWriteMarker });
    upstream.set(b.name ?? '', list);
  });
}
const batchesOf = (w: Write) => upstream.get(w.name) ?? [];
const upstreamBatches = writes.reduce((sum, w) => sum + batchesOf(w).length, 0);
const perKey = upstreamBatches / Math.max(1, writes.length);
const without = writes.filter((w) => batchesOf(w).length === 0);
const doubled = writes.filter((w) => batchesOf(w).length > 1);
/** The write got back the one batch its key created upstream. */
const gotItsBatch = (w: Write) => batchesOf(w).length === 1 && batchesOf(w)[0]!.id === w.batchId;
const ambiguous = writes.filter((w) => w.answers[0] === 'OUTCOME_UNKNOWN' || w.answers[0] === 'transport');
const reconciled = ambiguous.filter(gotItsBatch);
const reconciledShare = reconciled.length / Math.max(1, ambiguous.length);
const attempts = writes.reduce((sum, w) => sum + w.answers.length, 0);
const unknownAnswers = writes.reduce((sum, w) => sum + w.answers.filter((a) => a === 'OUTCOME_UNKNOWN').length, 0);
const gaveUp = writes.filter((w) => w.batchId === null).length;
const tally = (values: string[]) => {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, c]) => `${v} ${c}`).join(', ');
};
// Each bad answer: the submits it hit, and of those how many keys still got back their one batch.
const writeByName = new Map(writes.map((w) => [w.name, w]));
const nameById = new Map<string, string>();
for (const [name, list] of upstream) for (const b of list) nameById.set(b.id, name);
const perAnswer = badAnswers.map(({ label }) => {
  let hit = 0;
  let recovered = 0;
  for (const [n, l] of faulted) {
    if (l !== label || n > created.length) continue;
    hit++;
    const w = writeByName.get(nameById.get(created[n - 1]!.id) ?? '');
    if (w && gotItsBatch(w)) recovered++;
  }
  return `${label} ${recovered}/${hit}`;
});
const faultedSubmits = [...faulted.keys()].filter((n) => n <= created.length).length;

console.log(`Redis outages: ${outages.map((o) => `${((o.to - o.from) / 1000).toFixed(1)} s`).join(', ')}`);
console.log(
  `replica restart: ${names[RESTARTED]} got SIGTERM at ${((restart.at - started) / 1000).toFixed(1)} s, exited ` +
    `(${restart.exit}) ${(restart.exitedAfter / 1000).toFixed(1)} s later, ` +
    (restart.failed
      ? `and did NOT start again: ${restart.failed}`
      : `listening again after ${(restart.upAfter / 1000).toFixed(1)} s`) +
    `; ${movedByRestart} subscribers moved to the other replica`,
);
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
  `writes: ${writes.length} keys, ${attempts} attempts; first answers: ${tally(writes.map((w) => w.answers[0]!))}`,
);
console.log(
  `Check submits answered badly: ${faultedSubmits} of ${submits()} ` +
    `(${((100 * faultedSubmits) / Math.max(1, submits())).toFixed(0)} %); ` +
    `keys that got their one batch back, by bad answer: ${perAnswer.join(', ')}`,
);
console.log(
  `writes answered OUTCOME_UNKNOWN: ${unknownAnswers} (of ${attempts} attempts); keys given up after ` +
    `${RETRY_BOUND_MS / 1000} s: ${gaveUp}`,
);
console.log(
  `batches created upstream per distinct key: ${perKey.toFixed(2)} (goal 1.00: ${upstreamBatches} batches for ` +
    `${writes.length} keys; keys without a batch ${without.length}, with more than one ${doubled.length})`,
);
console.log(
  `ambiguous writes whose retry returned the batch: ${reconciled.length} of ${ambiguous.length} ` +
    `(${(100 * reconciledShare).toFixed(1)} %, goal ≥ 95 %)`,
);
/** Answers in order, a run of the same one as `ANSWER ×n`. */
const runs = (answers: string[]) =>
  answers
    .reduce<[string, number][]>((out, a) => {
      const last = out.at(-1);
      if (last?.[0] === a) last[1]++;
      else out.push([a, 1]);
      return out;
    }, [])
    .map(([a, n]) => (n > 1 ? `${a} ×${n}` : a))
    .join(' → ');
// The keys that missed a goal: their upstream batches (with the start of each one's write marker), and answers.
for (const w of [...new Set([...doubled, ...without, ...ambiguous.filter((a) => !gotItsBatch(a))])].slice(0, 8)) {
  const batches = batchesOf(w).map((b) => `${b.id} (marker ${String(b.marker).slice(0, 8)})`);
  console.log(`  ${w.key}: upstream [${batches.join(', ')}], got ${w.batchId}; answers ${runs(w.answers)}`);
}
// The hostile client and the victim (their loops end with the load).
await Promise.all([...hostileLoops, victimLoop]);
const anonymousRefused = anonymous.filter(refusedAnonymous).length;
const anonymousClosed = anonymous.filter((o) => o.kind === 'closed').length;
const outcomeOf = (o: RawOutcome) =>
  o.kind === 'answer'
    ? `HTTP ${o.status}${codeOf(o) ? ` ${String(codeOf(o))}` : ''}`
    : o.kind === 'closed'
      ? 'closed'
      : 'no end';
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
};
const victimShare = victim.served / Math.max(1, victim.sent);
const floodMb = (flood.body.length / MB).toFixed(1);
console.log(
  `hostile client: ${maximal.sent} Check reads of 100 and 200 distinct batches (Check unlimited here), ` +
    `${maximal.complete} answered in full` +
    (maximal.codes.length ? ` (others: ${tally(maximal.codes)})` : '') +
    `; anonymous ${floodMb} MB multipart requests of ` +
    `${FLOOD_PARTS.toLocaleString('en')} file parts: ${anonymous.length}, refused 401 ` +
    `${anonymousRefused - anonymousClosed}, connection closed ${anonymousClosed}` +
    (anonymous.length > anonymousRefused
      ? `, otherwise: ${tally(anonymous.filter((o) => !refusedAnonymous(o)).map(outcomeOf))}`
      : ''),
);
console.log(
  `victim (its own subject, a Check read every ${VICTIM_EVERY_MS} ms): served ${victim.served} of ${victim.sent} ` +
    `(${(100 * victimShare).toFixed(1)} %, goal ≥ 99 %), p99 ${percentile(victim.latencies, 0.99)} ms` +
    (victim.failures.length ? `; not served: ${tally(victim.failures)}` : ''),
);

// Anonymous flood only: the subscribers are gone and the load over; FLOOD_REQUESTS anonymous multipart requests
// at once, half to each replica, and the replicas' CPU (user + system) and resident memory from /proc.
finishing = true;
for (const c of controllers) c.abort();
/** The replicas running (both, unless the restarted one failed to start again). */
const upGateways = gateways.filter((g) => g.child.exitCode === null && g.child.signalCode === null);
const pids = () => upGateways.map((g) => g.child.pid!);
const cpuOfGateways = () => pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
const rssOfGateways = () => pids().reduce((sum, pid) => sum + rssBytes(pid), 0);
const answered = (g: GatewayProcess) =>
  fetch(g.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: good },
    body: JSON.stringify({ query: '{ providers { provider } }' }),
  }).then((r) => r.text());
await Promise.all(upGateways.map(answered));
await sleep(1_000);
// What the replicas spend with nothing to do, for scale: two seconds of it.
const idleFrom = cpuOfGateways();
await sleep(2_000);
const idlePerSecond = (cpuOfGateways() - idleFrom) / 2;
const cpuBefore = cpuOfGateways();
const rssBefore = rssOfGateways();
const floodFrom = Date.now();
const floodOutcomes = await Promise.all(
  Array.from({ length: FLOOD_REQUESTS }, (_, i) =>
    rawPost(upGateways[i % upGateways.length]!.url, { headers: anonymousHeaders, body: flood.body, timeoutMs: 30_000 }),
  ),
);
// A replica has done all it will for them once it answers the next request.
await Promise.all(upGateways.map(answered));
const floodMs = Date.now() - floodFrom;
const floodCpu = cpuOfGateways() - cpuBefore;
const floodRssMb = (rssOfGateways() - rssBefore) / MB;
const floodRefused = floodOutcomes.filter(refusedAnonymous).length;
const floodClosed = floodOutcomes.filter((o) => o.kind === 'closed').length;
console.log(
  `anonymous flood only: ${FLOOD_REQUESTS} multipart requests of ${floodMb} MB at once, half to each replica: ` +
    `refused ${floodRefused} (401 ${floodRefused - floodClosed}, connection closed ${floodClosed}) in ${floodMs} ms; ` +
    `gateway CPU ${floodCpu.toFixed(2)} s in all (goal < ${FLOOD_CPU_GOAL_S} s), ` +
    `${((1000 * floodCpu) / FLOOD_REQUESTS).toFixed(1)} ms per request (idle for as long: ` +
    `${((idlePerSecond * floodMs) / 1000).toFixed(2)} s); resident memory ${floodRssMb >= 0 ? '+' : ''}` +
    `${floodRssMb.toFixed(1)} MB (goal < ${FLOOD_RSS_GOAL_MB} MB)` +
    (floodRefused < FLOOD_REQUESTS
      ? `; otherwise: ${tally(floodOutcomes.filter((o) => !refusedAnonymous(o)).map(outcomeOf))}`
      : ''),
);

for (const g of gateways) stopping.add(g);
await Promise.all(gateways.map((g) => g.kill()));
await redis.remove();
await agent.close();
await sims.close();

// The Pro-plan run (bench/chaos-budget.ts): its own simulators and gateway, Check limited to 200 calls a 10 s window.
const pro = await budgetRun({
  jwtEnv: {
    AUTH_MODE: env.AUTH_MODE,
    JWT_SECRET: env.JWT_SECRET,
    JWT_ISSUER: env.JWT_ISSUER,
    JWT_AUDIENCE: env.JWT_AUDIENCE,
  },
  bearer: async (tenant, subject) => `Bearer ${await token(tenant, subject)}`,
  spawnOptions,
  flood,
});
const proVictimShare = pro.victim.served / Math.max(1, pro.victim.sent);
const loneShare = pro.lone.calls / INTERACTIVE_PART;
console.log(
  `Pro-plan Check (${PRO_LIMIT} calls a ${PRO_WINDOW_MS / 1000} s window, one gateway without Redis; the ` +
    `interactive part ${INTERACTIVE_PART} calls), two windows of hostile load: ${pro.hostileReads.requests} reads ` +
    `of 100 batches (${pro.hostileReads.served} of ${pro.hostileReads.asked} batches served); 200-call requests ` +
    `refused PROVIDER_BUDGET_EXCEEDED ${pro.overBudget.refused} of ${pro.overBudget.sent}; anonymous multipart ` +
    `requests refused ${pro.anonymous.refused} of ${pro.anonymous.sent}`,
);
console.log(
  `  victim (a Check read a second): served ${pro.victim.served} of ${pro.victim.sent} ` +
    `(${(100 * proVictimShare).toFixed(1)} %, goal ≥ 99 %), p99 ${pro.victim.p99Ms} ms` +
    (pro.victim.failures.length ? `; not served: ${pro.victim.failures.join(', ')}` : ''),
);
console.log(
  `  lone client, one window alone: ${pro.lone.calls} calls served = ${(100 * loneShare).toFixed(1)} % of the ` +
    `interactive part (goal ≥ 80 %; ${pro.lone.requests} requests of 20 batches); Check's 429s: ${pro.checkRefused}`,
);
const anonymousNotRefused =
  anonymous.length - anonymousRefused + FLOOD_REQUESTS - floodRefused + pro.anonymous.sent - pro.anonymous.refused;
console.log(
  `must be zero: replicas exited ${exited.length + (pro.gatewayExited ? 1 : 0)}, ` +
    `subscribers starved > ${STARVED_MS / 1000} s ${starved}, ` +
    `new subscriptions without a first state ${lateUnserved}, ` +
    `amplification not refused ${amplified - amplificationRefused}, ` +
    `bad claims not refused ${badClaims - badClaimsRefused}, ` +
    `anonymous requests not refused ${anonymousNotRefused}, ` +
    `200-call Check requests not refused on Pro ${pro.overBudget.sent - pro.overBudget.refused}, ` +
    `Check 429s on Pro ${pro.checkRefused}`,
);
const passed =
  !restart.failed &&
  exited.length + starved + lateUnserved === 0 &&
  amplified === amplificationRefused &&
  badClaims === badClaimsRefused &&
  without.length + doubled.length === 0 &&
  ambiguous.length > 0 &&
  reconciledShare >= 0.95 &&
  victim.sent > 0 &&
  victimShare >= 0.99 &&
  anonymous.length > 0 &&
  anonymousRefused === anonymous.length &&
  floodRefused === FLOOD_REQUESTS &&
  floodCpu < FLOOD_CPU_GOAL_S &&
  floodRssMb < FLOOD_RSS_GOAL_MB &&
  !pro.gatewayExited &&
  pro.victim.sent > 0 &&
  proVictimShare >= 0.99 &&
  pro.overBudget.sent > 0 &&
  pro.overBudget.refused === pro.overBudget.sent &&
  pro.anonymous.refused === pro.anonymous.sent &&
  loneShare >= 0.8 &&
  pro.checkRefused === 0;
process.exit(passed ? 0 : 1);
