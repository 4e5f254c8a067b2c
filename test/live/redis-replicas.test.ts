import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { createManualClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import type { GatewayProcess } from '../../src/dev/gateway-process.js';
import { replicaEnv, senderOf, spawnReplicas } from '../helpers/replicas.js';
import { sseClient, subscribe, type LiveSubscription } from '../helpers/live-clients.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

/**
 * Three gateway processes sharing a real Redis: subscribers spread over them, each batch is
 * polled by exactly one process, and when that process dies another takes over.
 */
const LEASE_MS = 600;
let redis: TestRedis;
let sims: Simulators;
let gateways: GatewayProcess[];
const clock = createManualClock(Date.parse('2026-11-01T12:00:00Z'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await startRedis();
  sims = await startSimulators({ clock, seed: 31, batchCount: 100 });
  const env = replicaEnv(sims, redis.url, {
    prefix: `batchql-test-${process.pid}-${Date.now()}:`,
    leaseMs: LEASE_MS,
    extra: {
      // Per-batch leases (Check's bulk refresh, one lease per list scope, is tested in bulk-replicas.test.ts).
      LIVE_BULK_REFRESH: 'false',
    },
  });

  gateways = await spawnReplicas(['g1', 'g2', 'g3'], env);
}, 60_000);

afterAll(async () => {
  await Promise.all((gateways ?? []).map((g) => g.kill()));
  await sims?.close();
  await redis?.close();
});

/** Which gateway instances polled a batch, from the user-agent of the simulator's requests. */
function pollers(id: string): Set<string> {
  const agents = sims.factCheck.control
    .requests()
    .filter((r) => r.path.endsWith(id))
    .map(senderOf);
  return new Set(agents);
}

describe('several replicas on one Redis', () => {
  it('polls each batch from one process and takes over when that process dies', async () => {
    const ids = sims.factCheck.control.idsByState().running!.slice(0, 3);
    const WATCH = `subscription($id: ID!) { batch(id: $id) { providerBatchId progress { processed } } }`;
    // Every gateway has subscribers on every batch.
    const subs: { gateway: number; id: string; sub: LiveSubscription }[] = [];
    gateways.forEach((g, gi) => {
      const client = sseClient(g.url);
      for (const id of ids)
        for (let k = 0; k < 3; k++)
          subs.push({ gateway: gi, id, sub: subscribe(client, WATCH, { id: toGlobalId('FACT_CHECK', id) }) });
    });
    await Promise.all(subs.map((s) => s.sub.waitForEvents(1, 15_000)));
    sims.factCheck.control.resetCounters();
    for (let i = 0; i < 12; i++) {
      clock.advance(1_000);
      await sleep(100);
    }
    for (const id of ids) expect(pollers(id).size, `pollers of ${id}: ${[...pollers(id)]}`).toBe(1);
    // Events reached subscribers on every gateway, not only on the poller.
    for (const s of subs) expect(s.sub.events.length).toBeGreaterThan(1);

    // Kill the process polling the first batch; its subscribers go with it, the others stay.
    const victimName = [...pollers(ids[0]!)][0]!;
    const victim = Number(victimName.slice(1)) - 1;
    await gateways[victim]!.kill('SIGKILL');
    sims.factCheck.control.resetCounters();
    const survivors = subs.filter((s) => s.gateway !== victim && s.id === ids[0]);
    const before = survivors.map((s) => s.sub.events.length);
    const killedAt = Date.now();
    let takeoverMs = -1;
    while (Date.now() - killedAt < LEASE_MS * 6) {
      clock.advance(1_000);
      await sleep(50);
      const now = pollers(ids[0]!);
      if (takeoverMs < 0 && now.size > 0) takeoverMs = Date.now() - killedAt;
    }
    const after = pollers(ids[0]!);
    expect(after.size).toBe(1);
    expect(after.has(victimName)).toBe(false);
    // Within a lease period plus one retry interval and one poll.
    expect(takeoverMs).toBeGreaterThanOrEqual(0);
    expect(takeoverMs).toBeLessThan(LEASE_MS * 2);
    survivors.forEach((s, i) => expect(s.sub.events.length).toBeGreaterThan(before[i]!));
    for (const s of subs) s.sub.close();
  }, 60_000);
});
