import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import type { GatewayProcess } from '../../src/dev/gateway-process.js';
import { createManualClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { subscribe, wsClient } from '../helpers/live-clients.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { replicaEnv, spawnReplicas } from '../helpers/replicas.js';
import { until } from '../helpers/until.js';

/**
 * Two gateway replicas on a real Redis, polling every 30 s, so that ordinary polling cannot explain
 * what a subscriber sees within 2 s: a cancel on one replica reaches the watchers on both at once, and
 * an idempotency key holds across replicas.
 */
const POLL_30S = {
  LIVE_POLL_RUNNING_MS: '30000',
  LIVE_POLL_IDLE_MS: '30000',
  LIVE_POLL_IDLE_MAX_MS: '30000',
  LIVE_POLL_PENDING_MS: '30000',
};
let redis: TestRedis;
let sims: Simulators;
let replicas: GatewayProcess[];
const clock = createManualClock(Date.parse('2026-11-01T12:00:00Z'));

beforeAll(async () => {
  redis = await startRedis();
  sims = await startSimulators({ clock, seed: 19, batchCount: 40 });
  const env = replicaEnv(sims, redis.url, {
    prefix: `batchql-writes-${process.pid}-${Date.now()}:`,
    leaseMs: 2_000,
    extra: POLL_30S,
  });
  replicas = await spawnReplicas(['w1', 'w2'], env);
}, 60_000);

afterAll(async () => {
  await Promise.all((replicas ?? []).map((g) => g.kill()));
  await sims?.close();
  await redis?.close();
});

async function gql(replica: GatewayProcess, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(replica.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as any;
}

describe('a cancel seen live on every replica', () => {
  it('brings CANCELLED to a WebSocket subscriber on each replica within 2 s, with 30 s polling', async () => {
    const id = toGlobalId('FACT_CHECK', sims.factCheck.control.idsByState().running![0]!);
    const WATCH = `subscription($id: ID!) { batch(id: $id) { status isTerminal } }`;
    const subs = replicas.map((r) => subscribe(wsClient(r.url), WATCH, { id }));
    await Promise.all(subs.map((s) => s.waitForEvents(1, 15_000)));
    expect(subs.map((s) => s.events[0].batch.status)).toEqual(['RUNNING', 'RUNNING']);

    const cancelled = await gql(
      replicas[0]!,
      `mutation($id: ID!) { cancelBatch(id: $id) { batch { status } userErrors { code } } }`,
      { id },
    );
    expect(cancelled.data.cancelBatch).toEqual({ batch: { status: 'CANCELLED' }, userErrors: [] });
    const sawCancelled = () => subs.every((s) => s.events.some((e) => e.batch.status === 'CANCELLED'));
    await until(sawCancelled, 2_000, 'both subscribers to see CANCELLED');
    expect(subs.map((s) => s.events.at(-1).batch)).toEqual([
      { status: 'CANCELLED', isTerminal: true },
      { status: 'CANCELLED', isTerminal: true },
    ]);
    // A terminal state ends the streams.
    await Promise.all(subs.map((s) => s.ended));
  }, 30_000);
});

describe('idempotency keys across replicas (Redis)', () => {
  it('creates one upstream batch for the same key sent to both replicas at once', async () => {
    const before = sims.gameball.control.created().length;
    sims.gameball.control.setFault({
      kind: 'slow',
      delayMs: 200,
      pathPrefix: '/api/v4.0/integrations/batch/',
      times: 1,
    });
    const SUBMIT = `mutation { submitGameballBatch(idempotencyKey: "across", input: { events: [{ customerId:
      "c", events: { login: {} } }] }) { batch { providerBatchId } userErrors { code } } }`;
    const answers = await Promise.all(replicas.map((r) => gql(r, SUBMIT)));
    const ids = answers.map((a) => a.data.submitGameballBatch.batch.providerBatchId);
    expect(sims.gameball.control.created().length - before).toBe(1);
    expect(ids[0]).toBe(ids[1]);
  });
});
