/**
 * The Pro-plan run of `bench:chaos` (the main run's Check is unlimited, so no client's share of a budget
 * is at stake there): simulators of its own whose Check enforces the Pro plan's 200 calls a window with
 * 429s, the window shortened to 10 s, and one gateway (JWT auth, FACTCHECK_PLAN=pro,
 * FACTCHECK_RATE_LIMIT=200/10000ms, no Redis: the budget is its own quota's, as one replica's). The
 * interactive part of a window is 60 calls (UPSTREAM_INTERACTIVE_SHARE 0.3), a client's share of it 15 while
 * others wait (UPSTREAM_CLIENT_SHARE 0.25), a lone client's all but half a share (53).
 *   1. Hostile load for two windows: a hostile client (its own subject) reads 100 distinct Check batches per
 *      request back to back, sends a 200-call Check request every half second (over the 180 calls one request
 *      can get before its 20 s deadline: refused PROVIDER_BUDGET_EXCEEDED before any call), and two loops
 *      of anonymous 6 MB multipart requests; meanwhile a victim (another subject) reads one Check batch a
 *      second.
 *   2. A window of quiet, so the hostile calls leave the budget's window.
 *   3. One window in which a lone client reads 20 Check batches per request as fast as it can: the calls
 *      Check served in that window, against the interactive part.
 */
import { toGlobalId } from '../src/domain/global-id.js';
import { simulatorEnv } from '../src/dev/gateway-env.js';
import { spawnGateway, type SpawnOptions } from '../src/dev/gateway-process.js';
import { createSystemClock, startSimulators } from '../src/dev/simulators/index.js';
import { rawPost, refusedAnonymous } from './raw-http.js';

/** Check's shortened window, and the Pro plan's calls in it. */
export const WINDOW_MS = 10_000;
export const LIMIT = 200;
/** The gateway's default UPSTREAM_INTERACTIVE_SHARE: the calls of a window queries may use. */
export const INTERACTIVE_PART = Math.floor(LIMIT * 0.3);
/** Windows of hostile load. */
const HOSTILE_WINDOWS = 2;

export interface BudgetRunOptions {
  /** AUTH_MODE=jwt and its JWT_* settings. */
  jwtEnv: Record<string, string>;
  /** An `Authorization` value for a token of `subject` (in `tenant`) that the gateway accepts. */
  bearer(tenant: string, subject: string): Promise<string>;
  spawnOptions: SpawnOptions;
  /** The anonymous flood's multipart body. */
  flood: { body: Buffer; contentType: string };
}

export interface BudgetRunResult {
  /**
   * The victim's Check reads during the hostile load: sent, served (a batch, no error), and the others (the
   * error code, when it was sent after the hostile load began, and the retryAfterMs it was given).
   */
  victim: { sent: number; served: number; failures: string[]; p99Ms: number };
  /** The hostile 100-batch reads: requests, batches asked for, batches served. */
  hostileReads: { requests: number; asked: number; served: number };
  /** The 200-call Check requests, and how many were refused with PROVIDER_BUDGET_EXCEEDED. */
  overBudget: { sent: number; refused: number };
  /** The anonymous multipart requests, and how many were refused (401 or a closed connection). */
  anonymous: { sent: number; refused: number };
  /** The lone client's window: the calls Check served in it, and its requests. */
  lone: { calls: number; requests: number };
  /** Check's 429s over the whole run (its limit was exceeded). */
  checkRefused: number;
  /** The gateway exited before the end. */
  gatewayExited: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NODES = 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }';
/** The largest `nodes` (MAX_NODES, 100 ids). */
export const NODES_100 = 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Batch { status } } }';
/** Two of them: a 200-call request (MAX_UPSTREAM_CALLS_PER_REQUEST), more than one request gets of Check on Pro. */
export const NODES_200 =
  'query($a: [ID!]!, $b: [ID!]!) { a: nodes(ids: $a) { id ... on Batch { status } } ' +
  'b: nodes(ids: $b) { id ... on Batch { status } } }';
/** `NODES_200`'s variables: the 200 ids of `ids` from `from`. */
export const nodes200Variables = (ids: string[], from: number) => ({
  a: ids.slice(from, from + 100),
  b: ids.slice(from + 100, from + 200),
});
const NODE = 'query($id: ID!) { node(id: $id) { id ... on Batch { status progress { percent } } } }';

interface Answer {
  data?: { nodes?: (unknown | null)[]; node?: unknown };
  errors?: { extensions?: { code?: string; retryAfterMs?: number } }[];
}

export async function budgetRun(o: BudgetRunOptions): Promise<BudgetRunResult> {
  const sims = await startSimulators({
    clock: createSystemClock(),
    seed: 23,
    batchCount: 400,
    profile: 'longRunning',
    factCheckPlan: 'pro',
    factCheckRateLimitWindowMs: WINDOW_MS,
  });
  const gateway = await spawnGateway(
    {
      ...simulatorEnv(sims),
      ...o.jwtEnv,
      REDIS_URL: '',
      FACTCHECK_PLAN: 'pro',
      FACTCHECK_RATE_LIMIT: `${LIMIT}/${WINDOW_MS}ms`,
      INSTANCE_ID: 'chaos-budget',
      LOG_LEVEL: 'info',
    },
    o.spawnOptions,
  ).catch(async (error: unknown) => {
    await sims.close();
    throw error;
  });
  let gatewayExited = false;
  let ending = false;
  gateway.child.once('exit', () => (gatewayExited = !ending));
  try {
    const ids = Object.values(sims.factCheck.control.idsByState())
      .flat()
      .map((id) => toGlobalId('FACT_CHECK', id));
    const hostile = await o.bearer('tenant-h', 'hostile');
    const victim = await o.bearer('tenant-v', 'victim');
    const lone = await o.bearer('tenant-l', 'lone-reader');
    const post = (authorization: string, query: string, variables: Record<string, unknown>) =>
      fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(30_000),
      })
        .then(async (r) => ({ status: r.status, body: (await r.json()) as Answer }))
        .catch(() => null);

    // 1. The hostile load, and the victim.
    const result: BudgetRunResult = {
      victim: { sent: 0, served: 0, failures: [], p99Ms: 0 },
      hostileReads: { requests: 0, asked: 0, served: 0 },
      overBudget: { sent: 0, refused: 0 },
      anonymous: { sent: 0, refused: 0 },
      lone: { calls: 0, requests: 0 },
      checkRefused: 0,
      gatewayExited: false,
    };
    let hostileOn = true;
    const hostileFrom = Date.now();
    const loops: Promise<void>[] = [];
    // Batches 0–299 for the hostile reads, 380–399 for the victim (no read of one joins a call of the other).
    loops.push(
      (async () => {
        for (let n = 0; hostileOn; n++) {
          const r = await post(hostile, NODES_100, { ids: ids.slice((n % 3) * 100, (n % 3) * 100 + 100) });
          result.hostileReads.requests++;
          result.hostileReads.asked += 100;
          result.hostileReads.served += (r?.body.data?.nodes ?? []).filter((b) => b !== null).length;
          await sleep(20);
        }
      })(),
      (async () => {
        while (hostileOn) {
          const r = await post(hostile, NODES_200, nodes200Variables(ids, 0));
          result.overBudget.sent++;
          if (r?.body.errors?.[0]?.extensions?.code === 'PROVIDER_BUDGET_EXCEEDED') result.overBudget.refused++;
          await sleep(500);
        }
      })(),
      ...[0, 1].map(async () => {
        while (hostileOn) {
          const r = await rawPost(gateway.url, {
            headers: { 'content-type': o.flood.contentType, 'x-batchql-csrf': '1' },
            body: o.flood.body,
            timeoutMs: 30_000,
          });
          result.anonymous.sent++;
          if (refusedAnonymous(r)) result.anonymous.refused++;
          await sleep(100);
        }
      }),
    );
    // The victim starts a second in, once the hostile reads have taken what they can.
    const latencies: number[] = [];
    const victimFrom = Date.now() + 1_000;
    const reads = HOSTILE_WINDOWS * (WINDOW_MS / 1_000) - 1;
    for (let i = 0; i < reads; i++) {
      await sleep(Math.max(0, victimFrom + i * 1_000 - Date.now()));
      const t = Date.now();
      const r = await post(victim, NODE, { id: ids[380 + (i % 20)] });
      latencies.push(Date.now() - t);
      result.victim.sent++;
      if (r?.status === 200 && !r.body.errors && r.body.data?.node) {
        result.victim.served++;
        continue;
      }
      const error = r?.body.errors?.[0]?.extensions;
      const what = r ? (error?.code ?? `HTTP ${r.status}`) : 'transport';
      const retry = error?.retryAfterMs !== undefined ? ` (retry after ${error.retryAfterMs} ms)` : '';
      result.victim.failures.push(`${what} ${((t - hostileFrom) / 1000).toFixed(1)} s in${retry}`);
    }
    await sleep(Math.max(0, victimFrom + reads * 1_000 - Date.now()));
    hostileOn = false;
    await Promise.all(loops);
    latencies.sort((a, b) => a - b);
    result.victim.p99Ms = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0;

    // 2. Quiet for a window (and a margin), so no call of the hostile load is in the budget's window.
    await sleep(WINDOW_MS + 500);

    // 3. The lone client, for one window: Check's count of reads in it, taken when it ends.
    const counter = () => sims.factCheck.control.counters()['GET /v1/batch/:id'] ?? 0;
    const refusedBefore = sims.factCheck.control.refused();
    const before = counter();
    const from = Date.now();
    const counted = sleep(WINDOW_MS).then(
      () => counter() - before - (sims.factCheck.control.refused() - refusedBefore),
    );
    for (let n = 0; Date.now() - from < WINDOW_MS; n++) {
      const r = await post(lone, NODES, { ids: ids.slice((n * 20) % 380, ((n * 20) % 380) + 20) });
      result.lone.requests++;
      // A request whose every read was refused (the window is spent): a moment before the next.
      if (!(r?.body.data?.nodes ?? []).some((b) => b !== null)) await sleep(20);
    }
    result.lone.calls = await counted;
    result.checkRefused = sims.factCheck.control.refused();
    result.gatewayExited = gatewayExited;
    return result;
  } finally {
    ending = true;
    await gateway.kill();
    await sims.close();
  }
}
