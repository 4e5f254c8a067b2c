import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { createManualClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import type { GatewayProcess } from '../../src/dev/gateway-process.js';
import { replicaEnv, senderOf, spawnReplicas } from '../helpers/replicas.js';
import { sseClient, subscribe, type LiveSubscription } from '../helpers/live-clients.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

/**
 * Three gateway processes on a real Redis, bulk refresh on: the list of one provider and scope is
 * one lease, so exactly one process walks it per tick, for the watched batches of all three, and
 * every process's subscribers get the states. When that process dies another takes the walk over.
 */
const LEASE_MS = 600;
let redis: TestRedis;
let sims: Simulators;
let gateways: GatewayProcess[];
const clock = createManualClock(Date.parse('2026-11-01T12:00:00Z'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await startRedis();
  sims = await startSimulators({ clock, seed: 33, batchCount: 100 });
  const env = replicaEnv(sims, redis.url, {
    prefix: `batchql-bulk-${process.pid}-${Date.now()}:`,
    leaseMs: LEASE_MS,
  });

  gateways = await spawnReplicas(['g1', 'g2', 'g3'], env);
}, 60_000);

afterAll(async () => {
  await Promise.all((gateways ?? []).map((g) => g.kill()));
  await sims?.close();
  await redis?.close();
});

/** List walks (first pages) and single reads at the simulator, with the instance that sent each. */
function traffic() {
  const all = sims.factCheck.control.requests().filter((r) => r.method === 'GET');
  return {
    walks: all.filter((r) => r.path === '/v1/batch' && r.query.offset === '0').map(senderOf),
    singles: all.filter((r) => /^\/v1\/batch\/batch_[^/]+$/.test(r.path)).map(senderOf),
  };
}

describe('bulk refresh on three replicas sharing Redis', () => {
  it('walks each list scope from one process per tick, reaches every subscriber, and is taken over', async () => {
    const ids = sims.factCheck.control.idsByState().running!.slice(0, 6);
    expect(ids).toHaveLength(6);
    const WATCH = `subscription($id: ID!) { batch(id: $id) { providerBatchId progress { processed } } }`;
    // Every gateway has subscribers on every batch.
    const subs: { gateway: number; id: string; sub: LiveSubscription }[] = [];
    gateways.forEach((g, gi) => {
      const client = sseClient(g.url);
      for (const id of ids)
        subs.push({ gateway: gi, id, sub: subscribe(client, WATCH, { id: toGlobalId('FACT_CHECK', id) }) });
    });
    await Promise.all(subs.map((s) => s.sub.waitForEvents(1, 15_000)));

    sims.factCheck.control.resetCounters();
    const from = Date.now();
    for (let i = 0; i < 12; i++) {
      clock.advance(1_000);
      await sleep(100);
    }
    const elapsed = Date.now() - from;
    const { walks, singles } = traffic();
    // One process walked the list; the others neither walked it nor read the batches on their own
    // (a batch that finished meanwhile is read once, by the walker).
    expect(new Set(walks).size).toBe(1);
    expect(singles.filter((a) => a !== walks[0])).toEqual([]);
    expect(singles.length).toBeLessThanOrEqual(ids.length);
    // Once per tick (40 ms, stretched by nothing here), not once per replica per tick.
    expect(walks.length).toBeGreaterThan(5);
    expect(walks.length).toBeLessThanOrEqual(Math.ceil(elapsed / 40) + 2);
    // States reached subscribers on every gateway, not only on the one that walked.
    for (const s of subs) expect(s.sub.events.length, `events on g${s.gateway + 1}`).toBeGreaterThan(1);

    // Kill the walker; another process takes the walk over for the survivors' subscribers.
    const walker = walks[0]!;
    const victim = Number(walker.slice(1)) - 1;
    await gateways[victim]!.kill('SIGKILL');
    sims.factCheck.control.resetCounters();
    const survivors = subs.filter((s) => s.gateway !== victim && !s.sub.isEnded());
    expect(survivors.length).toBeGreaterThan(0);
    const before = survivors.map((s) => s.sub.events.length);
    for (let i = 0; i < 12; i++) {
      clock.advance(1_000);
      await sleep(LEASE_MS / 2);
    }
    const after = traffic();
    expect(after.walks.length).toBeGreaterThan(0);
    expect(after.walks).not.toContain(walker);
    // After the takeover, one walker again (the lease expired once: no two processes walk together for long).
    expect(new Set(after.walks.slice(-10)).size).toBe(1);
    survivors.forEach((s, i) => expect(s.sub.events.length).toBeGreaterThan(before[i]!));
    for (const s of subs) s.sub.close();
  }, 60_000);
});
