import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayProcess } from '../../src/dev/gateway-process.js';
import { createSystemClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { replicaEnv, spawnReplicas } from '../helpers/replicas.js';

/**
 * SIGTERM hits a replica while a Check write is in flight (Check stores it, then answers late), and the
 * client retries on a second replica that shares the keys through Redis: exactly one batch upstream, and
 * the retry gets it back, whether the drain lets the write end (it is then recorded as unknown) or the
 * replica dies before it ends (its lease lapses, and the key reads as unknown, never as free).
 */
let redis: TestRedis;
let sims: Simulators;
const replicas: GatewayProcess[] = [];
let env: Record<string, string>;
// UPSTREAM_BUDGET_WAIT_MS + UPSTREAM_DEADLINE_MS + 1 s.
const WINDOW_MS = 0 + 1_000 + 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await startRedis();
  sims = await startSimulators({ clock: createSystemClock(), seed: 23, batchCount: 20 });
  env = replicaEnv(sims, redis.url, {
    prefix: `batchql-shutdown-${process.pid}-${Date.now()}:`,
    leaseMs: 2_000,
    extra: {
      UPSTREAM_DEADLINE_MS: '1000',
      UPSTREAM_CONNECT_TIMEOUT_MS: '1000',
      UPSTREAM_HEADERS_TIMEOUT_MS: '1000',
      UPSTREAM_BUDGET_WAIT_MS: '0',
      IDEMPOTENCY_LEASE_MS: '1000',
      // Straight to the drain on SIGTERM (test/ops/shutdown.test.ts covers the readiness grace).
      SHUTDOWN_DELAY_MS: '0',
    },
  });
  replicas.push(...(await spawnReplicas(['s1', 's2'], env)));
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((g) => g.kill('SIGKILL')));
  await sims?.close();
  await redis?.close();
});

const SUBMIT = `mutation($key: String, $name: String) {
  submitFactCheckBatch(idempotencyKey: $key, input: { name: $name, items: [{ content: "Mid-shutdown." }] }) {
    batch { providerBatchId } userErrors { code }
  }
}`;

async function post(replica: GatewayProcess, variables: Record<string, unknown>): Promise<any> {
  const res = await fetch(replica.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: SUBMIT, variables }),
  });
  return res.json();
}

/** Retries on `replica` as a client would, until it gets a batch (or `ms` pass); every answer is kept. */
async function retryUntilBatch(replica: GatewayProcess, variables: Record<string, unknown>, ms: number) {
  const answers: any[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const r = await post(replica, variables);
    answers.push(r);
    if (r.data?.submitFactCheckBatch?.batch) return { batch: r.data.submitFactCheckBatch.batch, answers };
    await sleep(300);
  }
  return { batch: null, answers };
}

const lateAnswer = () =>
  sims.factCheck.control.addFault({
    kind: 'afterWrite',
    answer: 'late',
    delayMs: 1_500,
    pathPrefix: '/v1/batch',
    times: 1,
  });

describe('SIGTERM mid-write, the retry on another replica', () => {
  it('the drain lets the write end: the client hears OUTCOME_UNKNOWN, and the retry gets the one batch', async () => {
    const [dying, other] = replicas as [GatewayProcess, GatewayProcess];
    const vars = { key: 'drained', name: 'drained write' };
    const before = sims.factCheck.control.created().length;
    lateAnswer();
    const inFlight = post(dying, vars);
    await sleep(200);
    await dying.kill('SIGTERM');
    // The drain waited for the write: its client got its (unknown) outcome, not a dropped connection.
    const first = await inFlight;
    expect(first.errors?.map((e: any) => e.extensions?.code)).toEqual(['OUTCOME_UNKNOWN']);
    expect((await dying.exited).code).toBe(0);
    const { batch, answers } = await retryUntilBatch(other, vars, WINDOW_MS + 5_000);
    expect(batch?.providerBatchId).toBe(sims.factCheck.control.created().at(-1)!.id);
    expect(answers.slice(0, -1).every((a) => a.errors?.[0]?.extensions?.code === 'OUTCOME_UNKNOWN')).toBe(true);
    expect(sims.factCheck.control.created().length - before).toBe(1);
  }, 30_000);

  it('the replica dies before the write ends: its lapsed lease reads as unknown, never free', async () => {
    const [dying] = await spawnReplicas(['s3'], { ...env, SHUTDOWN_TIMEOUT_MS: '0' });
    replicas.push(dying!);
    const other = replicas[1]!;
    const vars = { key: 'cut-off', name: 'cut-off write' };
    const before = sims.factCheck.control.created().length;
    lateAnswer();
    const inFlight = post(dying!, vars).catch((error: unknown) => ({ dropped: error }));
    await sleep(200);
    await dying!.kill('SIGTERM');
    await dying!.exited;
    expect(await inFlight).toHaveProperty('dropped');
    expect(sims.factCheck.control.created().length - before).toBe(1);
    const { batch, answers } = await retryUntilBatch(other, vars, WINDOW_MS + 10_000);
    expect(batch?.providerBatchId).toBe(sims.factCheck.control.created().at(-1)!.id);
    // Never a second write: every answer before the batch was OUTCOME_UNKNOWN.
    expect(answers.slice(0, -1).every((a) => a.errors?.[0]?.extensions?.code === 'OUTCOME_UNKNOWN')).toBe(true);
    expect(sims.factCheck.control.created().length - before).toBe(1);
    expect(sims.factCheck.control.counters()['POST /v1/batch']).toBeGreaterThanOrEqual(1);
  }, 40_000);
});
