import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { startGateway, type RunningGateway } from '../../src/runtime.js';
import { createSystemClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { FAST_LIVE_ENV } from '../helpers/harness.js';
import { sseClient, subscribe, type LiveSubscription } from '../helpers/live-clients.js';
import { startLocalRedis, startRedis, type LocalRedis, type TestRedis } from '../helpers/redis.js';
import { freshDataDir } from '../helpers/data-dir.js';

/**
 * Check's request budget shared by three gateway replicas (three runtimes in this process, each
 * with its own Redis clients and its own `ProviderQuota`) on one real Redis, against one Check
 * simulator that enforces 120 requests per 4-second window with 429s. Each replica keeps polling
 * its own watched batches (far more than the budget allows) and answers a steady stream of
 * interactive queries. The simulator counts what reaches it, per replica by user agent.
 */
const LIMIT = 120;
const WINDOW_MS = 4_000;
const REPLICAS = ['r1', 'r2', 'r3'];
const NODE = `query ($id: ID!) { node(id: $id) { id ... on Batch { status } } }`;
const WATCH = `subscription ($id: ID!) { batch(id: $id) { id progress { processed } } }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Replica {
  name: string;
  running: RunningGateway;
  logs: string[];
}

let sims: Simulators | undefined;
let replicas: Replica[] = [];
let subs: LiveSubscription[] = [];
let redis: { close(): Promise<void> } | undefined;
let traffic: { stop(): Promise<{ ok: number; failed: Record<string, number> }> } | undefined;

afterEach(async () => {
  await traffic?.stop();
  for (const s of subs) s.close();
  await Promise.all(replicas.map((r) => r.running.close()));
  await sims?.close();
  await redis?.close();
  [sims, redis, traffic, replicas, subs] = [undefined, undefined, undefined, [], []];
});

async function startReplicas(redisUrl: string, prefix: string): Promise<void> {
  sims = await startSimulators({
    clock: createSystemClock(),
    seed: 53,
    batchCount: 60,
    profile: 'longRunning',
    factCheckRateLimitPerMinute: LIMIT,
    factCheckRateLimitWindowMs: WINDOW_MS,
  });
  const env = {
    ...simulatorEnv(sims),
    PORT: '0',
    ...FAST_LIVE_ENV,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    FACTCHECK_RATE_LIMIT: `${LIMIT}/${WINDOW_MS / 1000}s`,
    // Every replica polls its own batches one by one (bulk refresh would make one replica list for all).
    LIVE_BULK_REFRESH: 'false',
    LOG_LEVEL: 'info',
  };
  replicas = await Promise.all(
    REPLICAS.map(async (name) => {
      const logs: string[] = [];
      const running = await startGateway(loadConfig({ ...env, INSTANCE_ID: name, DATA_DIR: freshDataDir() }), {
        host: '127.0.0.1',
        logDestination: { write: (line: string) => void logs.push(line) },
      });
      return { name, running, logs };
    }),
  );
}

/**
 * Background: every replica watches 4 running batches of its own, polled every 40 ms (about 300
 * polls a second together, against a budget of 30). Interactive: every replica answers a query
 * every 500 ms.
 */
async function startTraffic(): Promise<void> {
  const control = sims!.factCheck.control;
  const running = control.idsByState().running!;
  const done = control.idsByState().done!;
  expect(running.length).toBeGreaterThanOrEqual(4 * replicas.length);
  replicas.forEach((r, i) => {
    const client = sseClient(r.running.url.replace('localhost', '127.0.0.1'));
    for (const id of running.slice(4 * i, 4 * i + 4))
      subs.push(subscribe(client, WATCH, { id: toGlobalId('FACT_CHECK', id) }));
  });
  await Promise.all(subs.map((s) => s.waitForEvents(1, 15_000)));
  let stopped = false;
  const outcome = { ok: 0, failed: {} as Record<string, number> };
  const loops = replicas.map(async (r, i) => {
    for (let n = 0; !stopped; n++) {
      const res = await fetch(r.running.url.replace('localhost', '127.0.0.1'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: NODE,
          variables: { id: toGlobalId('FACT_CHECK', done[(n * 3 + i) % done.length]!) },
        }),
      });
      const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
      const code = body.errors?.[0]?.extensions?.code;
      if (code) outcome.failed[code] = (outcome.failed[code] ?? 0) + 1;
      else outcome.ok++;
      await sleep(500);
    }
  });
  traffic = {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return outcome;
    },
  };
}

/** Requests the simulator got from each replica since its counters were reset. */
function sentBy(): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(REPLICAS.map((n) => [n, 0]));
  for (const r of sims!.factCheck.control.requests()) {
    const name = /\((r\d)\)/.exec(r.headers['user-agent'] ?? '')?.[1];
    if (name) counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

async function metric(r: Replica, name: string, labels = ''): Promise<number | undefined> {
  const text = await r.running.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || l.startsWith(`${name}${labels}{`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

const checkMode = (mode: string) => `{provider="FACT_CHECK",mode="${mode}"}`;

describe('a request budget shared through Redis', () => {
  it('keeps three replicas together inside one quota and uses most of it', async () => {
    const shared: TestRedis = await startRedis();
    redis = shared;
    await startReplicas(shared.url, `batchql-budget-${process.pid}-${Date.now()}:`);
    await startTraffic();
    const control = sims!.factCheck.control;
    control.resetCounters();
    const from = Date.now();
    await sleep(3 * WINDOW_MS);
    const elapsed = Date.now() - from;
    const sent = control.totalRequests();
    const perReplica = sentBy();
    const interactive = await traffic!.stop();

    // Nothing the gateway sent was refused, though the replicas' polling alone wants ten times the quota.
    expect(control.refused()).toBe(0);
    // Together they used most of the quota (the sub-windows allow 4/5 of it), not a third each would use alone.
    const quota = (LIMIT * elapsed) / WINDOW_MS;
    expect(sent).toBeLessThanOrEqual(quota + LIMIT);
    expect(sent).toBeGreaterThanOrEqual(0.5 * quota);
    // Every replica got a part of it.
    for (const name of REPLICAS) expect(perReplica[name]).toBeGreaterThan(LIMIT / 10);
    // Interactive queries come first: every one was served, none waited long (a query every 500 ms per replica).
    expect(interactive.ok).toBeGreaterThanOrEqual(3 * Math.floor(elapsed / 1_000));
    expect(interactive.failed).toEqual({});
    for (const r of replicas) {
      expect(await metric(r, 'batchql_upstream_budget_mode', checkMode('shared'))).toBe(1);
      expect(await metric(r, 'batchql_upstream_budget_replicas')).toBe(3);
    }
  }, 30_000);

  it("falls back to each replica's share while Redis is down, and shares the quota again when it is back", async () => {
    const own: LocalRedis = await startLocalRedis();
    redis = { close: () => own.stop() };
    await startReplicas(own.url, `batchql-budget-outage-${process.pid}:`);
    await startTraffic();
    // A heartbeat later every replica has seen the other two.
    await sleep(2_500);
    for (const r of replicas) expect(await metric(r, 'batchql_upstream_budget_replicas')).toBe(3);

    await own.stop();
    // The fallback itself, and the window it started in, are not measured (see docs/resilience.md).
    await sleep(WINDOW_MS + 500);
    const control = sims!.factCheck.control;
    control.resetCounters();
    // Just under two windows: any span of one window holds at most a share of each replica's calls.
    await sleep(2 * WINDOW_MS - 250);
    const perReplica = sentBy();
    const share = Math.floor(LIMIT / REPLICAS.length);
    expect(control.refused()).toBe(0);
    for (const name of REPLICAS) {
      expect(perReplica[name], `${name} sent ${perReplica[name]}`).toBeLessThanOrEqual(2 * share);
      // It keeps using its share rather than refusing everything.
      expect(perReplica[name]).toBeGreaterThanOrEqual(share);
    }
    for (const r of replicas) {
      expect(await metric(r, 'batchql_upstream_budget_mode', checkMode('local'))).toBe(1);
      expect(r.logs.filter((l) => l.includes('upstream budget: Redis is unreachable'))).toHaveLength(1);
    }

    await own.start();
    // The next heartbeat finds Redis again.
    await sleep(3_000);
    for (const r of replicas) {
      expect(await metric(r, 'batchql_upstream_budget_mode', checkMode('shared'))).toBe(1);
      expect(r.logs.filter((l) => l.includes('upstream budget: Redis is reachable again'))).toHaveLength(1);
    }
    control.resetCounters();
    await sleep(WINDOW_MS);
    expect(control.refused()).toBe(0);
    expect(control.totalRequests()).toBeGreaterThan(LIMIT / 4);
    expect((await traffic!.stop()).failed).toEqual({});
  }, 30_000);
});
