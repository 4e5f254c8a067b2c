import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import type { GatewayProcess } from '../../src/dev/gateway-process.js';
import { createManualClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { replicaEnv, senderOf, spawnReplicas } from '../helpers/replicas.js';
import { sseClient, subscribe, type LiveSubscription } from '../helpers/live-clients.js';
import { startLocalRedis, type LocalRedis } from '../helpers/redis.js';

/**
 * Redis goes away and comes back under two gateway processes with live subscribers: both
 * processes live through it, their subscribers keep getting fresh states (each replica polls its
 * own batches under a local lease), a subscription opened during the outage gets its first
 * state, and afterwards the replicas converge to one poller per batch. This test runs its own
 * redis-server, which it kills (the shared REDIS_TEST_URL serves other files).
 */
const LEASE_MS = 600;
let redis: LocalRedis;
let sims: Simulators;
let gateways: GatewayProcess[];
const clock = createManualClock(Date.parse('2026-11-01T12:00:00Z'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WATCH = `subscription($id: ID!) { batch(id: $id) { providerBatchId stale progress { processed } } }`;

beforeAll(async () => {
  redis = await startLocalRedis();
  sims = await startSimulators({ clock, seed: 37, batchCount: 100 });
  const env = replicaEnv(sims, redis.url, {
    prefix: `batchql-outage-${process.pid}:`,
    leaseMs: LEASE_MS,
    extra: {
      // Per-batch leases (Check's bulk refresh, one lease per list scope, is tested in bulk-replicas.test.ts).
      LIVE_BULK_REFRESH: 'false',
      LOG_LEVEL: 'info',
    },
  });

  gateways = await spawnReplicas(['o1', 'o2'], env);
}, 60_000);

afterAll(async () => {
  await Promise.all((gateways ?? []).map((g) => g.kill()));
  await sims?.close();
  await redis?.stop();
});

/** Which gateway instances polled a batch, from the user-agent of the simulator's requests. */
function pollers(id: string): Set<string> {
  return new Set(
    sims.factCheck.control
      .requests()
      .filter((r) => r.path.endsWith(id))
      .map(senderOf),
  );
}

async function metric(g: GatewayProcess, name: string): Promise<number> {
  const text = await (await fetch(g.url.replace('/graphql', '/metrics'))).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

/** Advances the simulators' clock in steps, so running batches progress while real time passes. */
async function drive(ms: number, stepMs = 1_000, realMs = 100): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(stepMs);
    await sleep(realMs);
  }
}

const processed = (s: LiveSubscription) => s.events.map((e) => e.batch.progress.processed as number);

describe('a Redis outage', () => {
  it('keeps both replicas and every stream alive, serves new subscriptions, and converges afterwards', async () => {
    const running = sims.factCheck.control.idsByState().running!;
    const [a, b, late] = [running[0]!, running[1]!, running[2]!];
    const subs = gateways.flatMap((g) =>
      [a, b].map((id) => subscribe(sseClient(g.url), WATCH, { id: toGlobalId('FACT_CHECK', id) })),
    );
    await Promise.all(subs.map((s) => s.waitForEvents(1, 15_000)));
    await drive(3_000);

    await redis.stop();
    const countsAtOutage = subs.map((s) => s.events.length);
    const progressAtOutage = subs.map((s) => processed(s).at(-1)!);
    await drive(6_000);
    // A subscription opened on each replica while Redis is down gets its first state.
    const lateSubs = gateways.map((g) => subscribe(sseClient(g.url), WATCH, { id: toGlobalId('FACT_CHECK', late) }));
    await Promise.all(lateSubs.map((s) => s.waitForEvents(1, 10_000)));
    await drive(4_000);
    for (const g of gateways) expect(g.child.exitCode, g.output()).toBeNull();
    // Every subscriber saw fresh progress (or an honest stale mark) while Redis was down.
    subs.forEach((s, i) => {
      const newer = s.events.slice(countsAtOutage[i]!);
      expect(newer.length, `subscriber ${i} got nothing during the outage`).toBeGreaterThan(0);
      expect(newer.some((e) => e.batch.progress.processed > progressAtOutage[i]! || e.batch.stale)).toBe(true);
    });
    for (const s of [...subs, ...lateSubs]) expect(s.errors).toEqual([]);
    expect(lateSubs.every((s) => s.events[0].batch.stale === false)).toBe(true);

    await redis.start();
    // Within a couple of lease periods the replicas settle on one poller per batch again.
    await drive(4_000, 1_000, 2 * LEASE_MS);
    sims.factCheck.control.resetCounters();
    await drive(4_000, 500, 100);
    for (const id of [a, b, late]) expect(pollers(id).size, `pollers of ${id}: ${[...pollers(id)]}`).toBe(1);
    // Subscribers on the replica that does not poll still get the states, through Redis again.
    const before = subs.map((s) => s.events.length);
    await drive(4_000);
    subs.forEach((s, i) => expect(s.events.length).toBeGreaterThan(before[i]!));

    for (const g of gateways) {
      expect(g.child.exitCode).toBeNull();
      expect(await metric(g, 'batchql_unhandled_rejections_total')).toBe(0);
      expect(await metric(g, 'batchql_coordinator_errors_total')).toBeGreaterThan(0);
      expect(await metric(g, 'batchql_coordinator_up')).toBe(1);
      // The outage was logged (once, not per operation), and its end too.
      expect(g.output()).toMatch(/Redis is unreachable/);
      expect(g.output()).toMatch(/Redis is reachable again/);
    }
    for (const s of [...subs, ...lateSubs]) s.close();
  }, 90_000);
});
