import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { sign } from '../../src/providers/factcheck/webhook-signature.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe } from '../helpers/live-clients.js';
import { startLocalRedis, type LocalRedis } from '../helpers/redis.js';

/**
 * One Redis module (issue 26): a replica in Redis mode holds at most two Redis connections, one for the
 * commands of every user and one subscriber, whatever it does. This test runs its own `redis-server`, so
 * every client on it but the test's own is the gateway's, and exercises every user of the connection
 * first: a subscription (the live coordinator: lease, state, pub/sub), a query through Check's shared
 * budget, a write with an idempotency key, a signed webhook (its event id) and the client rate limit
 * (every operation above).
 */
const SECRET = 'whsec_test_connections_0123456789';
const INSTANCE = `connections-${process.pid}`;
const PREFIX = `batchql-connections-${process.pid}:`;
const WATCH = `subscription ($id: ID!) { batch(id: $id) { providerBatchId progress { processed } } }`;
const NODE = `query ($id: ID!) { node(id: $id) { id ... on Batch { status } } }`;
const SUBMIT = `mutation($key: String) {
  submitFactCheckBatch(idempotencyKey: $key, input: { items: [{ content: "A claim." }] }) {
    batch { providerBatchId } userErrors { code }
  }
}`;

let redis: LocalRedis;
let admin: Redis;
let h: Harness;

beforeAll(async () => {
  redis = await startLocalRedis();
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1, connectionName: 'test-admin' });
  h = await startHarness({
    seed: 29,
    batchCount: 30,
    env: {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: PREFIX,
      INSTANCE_ID: INSTANCE,
      RATE_LIMIT_PER_MINUTE: '1000',
      // Check's budget has a window, so it is shared through Redis.
      FACTCHECK_RATE_LIMIT: '600/60s',
      FACTCHECK_WEBHOOK_SECRET: SECRET,
    },
  });
}, 30_000);

afterAll(async () => {
  await h?.close();
  admin?.disconnect();
  await redis?.stop();
});

/** The clients connected to the server, but the test's own: name and last command of each. */
async function gatewayClients(): Promise<{ name: string; cmd: string }[]> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  return list
    .trim()
    .split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('=', 2) as [string, string])))
    .filter((client) => client.name !== 'test-admin')
    .map((client) => ({ name: client.name ?? '', cmd: client.cmd ?? '' }));
}

const keys = async (pattern: string) => (await admin.keys(`${PREFIX}${pattern}`)).length;

describe('one Redis module', () => {
  it('holds at most two Redis connections per replica after every user has used Redis', async () => {
    const control = h.sims.factCheck.control;
    const watched = control.idsByState().running![0]!;
    const done = control.idsByState().done![0]!;

    // The live coordinator: a subscription takes a lease, keeps the state and subscribes its channel.
    const sub = subscribe(sseClient(h.url), WATCH, { id: toGlobalId('FACT_CHECK', watched) });
    await sub.waitForEvents(1, 15_000);
    // The shared budget: an interactive read of Check takes a block from Redis.
    const read = await h.gql(NODE, { id: toGlobalId('FACT_CHECK', done) });
    expect(read.errors).toBeUndefined();
    // The idempotency store: a write with a key, then its replay.
    const first = await h.gql(SUBMIT, { key: 'k-connections' });
    const again = await h.gql(SUBMIT, { key: 'k-connections' });
    expect(first.errors).toBeUndefined();
    expect(again.data.submitFactCheckBatch.batch.providerBatchId).toBe(
      first.data.submitFactCheckBatch.batch.providerBatchId,
    );
    // The webhook store: a signed event's id is claimed in Redis (and the settled batch broadcast).
    const body = JSON.stringify({
      id: 'evt_connections_1',
      type: 'batch.completed',
      createdAt: new Date(h.clock.now()).toISOString(),
      data: { id: done },
    });
    const hook = await fetch(h.url.replace('/graphql', '/webhooks/check'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-check-signature': sign(SECRET, body, h.clock.now()) },
      body,
    });
    expect(hook.status).toBe(200);
    sub.close();

    // Every user left its keys: the coordinator's lease or state, the budget's counters and replica set, the
    // idempotency record, the webhook id and the rate limiter's counter.
    expect(await keys('state:*')).toBeGreaterThan(0);
    expect(await keys('budget*')).toBeGreaterThan(0);
    expect(await keys('replicas')).toBe(1);
    expect(await keys('idempotency:*')).toBe(1);
    expect(await keys('webhook-seen:*')).toBe(1);
    expect(await keys('ratelimit*')).toBeGreaterThan(0);
    const metrics = await (await fetch(h.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toContain('batchql_upstream_budget_mode{provider="FACT_CHECK",mode="shared"} 1');
    expect(metrics).toMatch(/^batchql_coordinator_up 1$/m);

    // `CLIENT LIST`: the replica's two connections, named for it, and no other.
    const clients = await gatewayClients();
    expect(clients.map((c) => c.name).sort()).toEqual([
      `batchql/${INSTANCE}/commands`,
      `batchql/${INSTANCE}/subscriber`,
    ]);
    expect(clients.find((c) => c.name.endsWith('/subscriber'))!.cmd).toMatch(/subscribe/);
  }, 30_000);
});
