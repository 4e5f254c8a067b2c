/**
 * Outbound webhooks across processes (issue 33): the outbox survives a SIGKILL (a restarted gateway on the same
 * DATA_DIR sends every pending event, claims of the dead process included once their lease lapses), and two
 * replicas on one PostgreSQL share the outbox without ever sending one event twice (`FOR UPDATE SKIP LOCKED`
 * claims), and a live replica renews the leases of its slow sends rather than sending them again. Real gateway
 * processes (the last test: one in-process gateway), a real receiver on loopback that verifies every signature.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { spawnGateway, type GatewayProcess } from '../../src/dev/gateway-process.js';
import { createRealTimeClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { startWebhookReceiver, type ReceivedDelivery, type WebhookReceiver } from '../../src/dev/webhook-receiver.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { startHarness } from '../helpers/harness.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

let pg: TestPostgres | undefined;
let redis: TestRedis | undefined;
beforeAll(async () => {
  pg = await startPostgres();
  redis = await startRedis();
}, 60_000);
afterAll(async () => {
  pg?.close();
  await redis?.close();
});

/** What each test started, stopped after it whatever happened (gateways first: they send to the receivers). */
let gateways: GatewayProcess[] = [];
let receivers: WebhookReceiver[] = [];
let sims: Simulators | undefined;
afterEach(async () => {
  await Promise.all(gateways.map((g) => g.kill('SIGKILL')));
  gateways = [];
  for (const r of receivers) await r.close();
  receivers = [];
  await sims?.close();
  sims = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id } secret userErrors { code message } } }`;
const TEST = `mutation($id: ID!) { testWebhookEndpoint(id: $id) {
  delivery { messageId status } userErrors { code } } }`;
const DELIVERIES = `query($endpoint: ID!, $after: String) { webhookDeliveries(endpoint: $endpoint, first: 100,
  after: $after) { edges { node { messageId eventType status } } pageInfo { hasNextPage endCursor } } }`;
const SUBMIT = `mutation($name: String!) { submitFactCheckBatch(input: { name: $name, items: [{ content: "a" }] }) {
  batch { id } userErrors { code } } }`;

async function gql(gateway: GatewayProcess, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as any;
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

async function createEndpoint(gateway: GatewayProcess, url: string, events: string[]) {
  const data = await gql(gateway, CREATE, { input: { url, events } });
  expect(data.createWebhookEndpoint.userErrors).toEqual([]);
  return { id: data.createWebhookEndpoint.endpoint.id as string, secret: data.createWebhookEndpoint.secret as string };
}

/** Queues a `webhook.test` event on `gateway`: its message id (the `webhook-id` it is sent with). */
async function queueTest(gateway: GatewayProcess, endpoint: string): Promise<string> {
  const data = await gql(gateway, TEST, { id: endpoint });
  expect(data.testWebhookEndpoint.userErrors).toEqual([]);
  return data.testWebhookEndpoint.delivery.messageId as string;
}

/** Every delivery of an endpoint, all pages. */
async function allDeliveries(gateway: GatewayProcess, endpoint: string) {
  const out: { messageId: string; eventType: string; status: string }[] = [];
  let after: string | null = null;
  for (;;) {
    const data = await gql(gateway, DELIVERIES, { endpoint, after });
    const page = data.webhookDeliveries;
    out.push(...page.edges.map((e: { node: (typeof out)[number] }) => e.node));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

const succeeded = (d: ReceivedDelivery) => d.verified && d.status >= 200 && d.status < 300;

/** How many successful (2xx), verified deliveries the receiver recorded per `webhook-id`. */
function successesById(receiver: WebhookReceiver): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of receiver.deliveries.filter(succeeded)) counts.set(d.id, (counts.get(d.id) ?? 0) + 1);
  return counts;
}

/** `batchql_webhook_attempts_total{outcome="delivered"}` of one gateway. */
async function deliveredAttempts(gateway: GatewayProcess): Promise<number> {
  const text = await (await fetch(gateway.url.replace('/graphql', '/metrics'))).text();
  const line = /^batchql_webhook_attempts_total\{outcome="delivered"\} (\d+)$/m.exec(text);
  return Number(line?.[1] ?? 0);
}

const NOTIFY_ENV = {
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  // The first test's receiver refuses every attempt for a while on purpose: the endpoint's circuit must not open
  // (its pause, 5 min by default, would outlast the test; the circuit is not what these tests are about).
  WEBHOOK_CIRCUIT_FAILURES: '10000',
};

describe('the outbox across processes', () => {
  it('SIGKILL with deliveries pending, then a restart: every event is delivered, with one id each', async () => {
    sims = await startSimulators({ clock: createRealTimeClock(), seed: 331, batchCount: 5 });
    const env = {
      ...simulatorEnv(sims),
      ...NOTIFY_ENV,
      DATA_DIR: freshDataDir(),
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_LEASE_MS: '1000',
      // Fast first retries, then 2 s apart: about a minute of retries, far longer than the restart takes, so no
      // delivery runs out of attempts (FAILED) while the gateway is down.
      WEBHOOK_RETRY_SCHEDULE: ['100ms', '200ms', '500ms', ...Array<string>(27).fill('2s')].join(','),
    };
    let secret = '';
    let refusing = true;
    let answering = 0;
    const receiver = await startWebhookReceiver({
      secrets: () => [secret],
      respond: async () => {
        if (!refusing) return { status: 204 };
        // A slow refusal: attempts are in flight (claimed, not yet recorded) when the gateway is killed.
        answering++;
        await sleep(150);
        answering--;
        return { status: 503 };
      },
    });
    receivers.push(receiver);
    const first = await spawnGateway(env, { timeoutMs: 30_000 });
    gateways.push(first);
    const endpoint = await createEndpoint(first, receiver.url, ['BATCH_SUBMITTED']);
    secret = endpoint.secret;

    const queued: string[] = [];
    for (let i = 0; i < 20; i++) queued.push(await queueTest(first, endpoint.id));
    expect(new Set(queued).size).toBe(20);
    // Two real batch events as well (`batch.submitted`, written by the ledger's flush).
    for (const name of ['durable-1', 'durable-2']) {
      const data = await gql(first, SUBMIT, { name });
      expect(data.submitFactCheckBatch.userErrors).toEqual([]);
    }
    await until(
      async () => (await allDeliveries(first, endpoint.id)).length === 22,
      10_000,
      'the two batch.submitted events stored',
    );
    const expected = (await allDeliveries(first, endpoint.id)).map((d) => d.messageId);
    expect(new Set(expected).size).toBe(22);
    expect(expected).toEqual(expect.arrayContaining(queued));
    // Every event was tried (and refused) at least once, and some attempts are under way right now.
    await until(
      () => expected.every((id) => receiver.deliveries.some((d) => d.id === id)) && answering > 0,
      20_000,
      'every event attempted, some attempts in flight',
    );
    await first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Whatever the dead process had written to its sockets is read and refused before the receiver turns healthy:
    // a success now can only come from the new process.
    await until(() => answering === 0, 5_000, 'the refusals under way answered');
    await sleep(300);
    expect(receiver.deliveries.filter(succeeded)).toEqual([]);
    const beforeRestart = receiver.deliveries.length;
    refusing = false;

    const second = await spawnGateway(env, { timeoutMs: 30_000 });
    gateways.push(second);
    await until(
      () => {
        const ok = successesById(receiver);
        return expected.every((id) => ok.has(id));
      },
      30_000,
      'every event delivered after the restart',
    );
    // The new process records each success right after its answer.
    await until(
      async () => (await allDeliveries(second, endpoint.id)).every((d) => d.status === 'DELIVERED'),
      10_000,
      'every delivery recorded DELIVERED',
    );
    const listed = await allDeliveries(second, endpoint.id);
    expect(listed.map((d) => d.messageId).sort()).toEqual([...expected].sort());
    expect(listed.map((d) => d.eventType).filter((t) => t === 'WEBHOOK_TEST')).toHaveLength(20);
    const ok = successesById(receiver);
    // Each event succeeded exactly once: the dead process's claims were sent again (after their lease) but never
    // twice, and nothing it sent was answered 2xx, so nothing is left for the at-least-once window.
    for (const id of expected) expect(ok.get(id), id).toBe(1);
    expect([...ok.keys()].sort()).toEqual([...expected].sort());
    expect(receiver.deliveries.length).toBeGreaterThan(beforeRestart);
    expect(receiver.deliveries.every((d) => d.verified)).toBe(true);
  }, 60_000);

  it('two replicas on one PostgreSQL never send the same event twice', async () => {
    sims = await startSimulators({ clock: createRealTimeClock(), seed: 332, batchCount: 5 });
    const env = {
      ...simulatorEnv(sims),
      ...NOTIFY_ENV,
      DATABASE_URL: pg!.database(),
      // Several replicas: they share live polling through Redis, and the outbox through PostgreSQL.
      REDIS_URL: redis!.url,
      REDIS_KEY_PREFIX: `batchql-durability-${process.pid}-${Date.now()}:`,
      NOTIFICATIONS: 'on',
      WEBHOOK_POLL_MS: '20',
      WEBHOOK_CONCURRENCY: '8',
      WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,500ms',
    };
    let secret = '';
    const receiver = await startWebhookReceiver({
      secrets: () => [secret],
      // A little slow, so each replica has several sends under way while the other claims.
      respond: () => ({ status: 204, delayMs: 30 }),
    });
    receivers.push(receiver);
    const [a, b] = await Promise.all(
      ['dur-a', 'dur-b'].map((name) => spawnGateway({ ...env, INSTANCE_ID: name }, { timeoutMs: 30_000 })),
    );
    gateways.push(a!, b!);
    const endpoint = await createEndpoint(a!, receiver.url, ['BATCH_FAILED']);
    secret = endpoint.secret;

    // 150 events, queued on both replicas at once (each wakes its own worker; the other finds them by polling).
    const queued: string[] = [];
    const N = 150;
    for (let i = 0; i < N; i += 10)
      queued.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, k) => queueTest((i + k) % 2 === 0 ? a! : b!, endpoint.id)),
        )),
      );
    expect(new Set(queued).size).toBe(N);
    await until(
      () => {
        const ok = successesById(receiver);
        return queued.every((id) => ok.has(id));
      },
      30_000,
      'every event delivered',
    );
    await until(
      async () => (await allDeliveries(b!, endpoint.id)).every((d) => d.status === 'DELIVERED'),
      10_000,
      'every delivery recorded DELIVERED',
    );
    // A duplicate would have been sent by now (claims are made while others are under way, not after a lease).
    await sleep(300);
    const counts = new Map<string, number>();
    for (const d of receiver.deliveries) counts.set(d.id, (counts.get(d.id) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n !== 1);
    expect(twice, 'events received more than once').toEqual([]);
    expect([...counts.keys()].sort()).toEqual([...queued].sort());
    expect(receiver.deliveries.every(succeeded)).toBe(true);
    // Both replicas sent, and between them exactly one successful attempt per event.
    const sent = await Promise.all([a!, b!].map(deliveredAttempts));
    expect(sent[0], `replica A sent ${sent[0]}, B ${sent[1]}`).toBeGreaterThan(0);
    expect(sent[1], `replica A sent ${sent[0]}, B ${sent[1]}`).toBeGreaterThan(0);
    expect(sent[0]! + sent[1]!).toBe(N);
  }, 60_000);

  it('a send slower than the lease is not claimed and sent again while it waits for its answer', async () => {
    // Before the worker renewed the leases of its sends, each lapsed lease had the same live replica claim the
    // delivery again and send it once more: three 204s for one event here.
    const h = await startHarness({
      seed: 333,
      batchCount: 3,
      env: { ...NOTIFY_ENV, WEBHOOK_POLL_MS: '50', WEBHOOK_LEASE_MS: '1000' },
    });
    try {
      let secret = '';
      const receiver = await startWebhookReceiver({
        secrets: () => [secret],
        respond: () => ({ status: 204, delayMs: 2_500 }),
      });
      receivers.push(receiver);
      const created = await h.gql(CREATE, { input: { url: receiver.url, events: ['BATCH_FAILED'] } });
      secret = created.data.createWebhookEndpoint.secret;
      const endpoint = created.data.createWebhookEndpoint.endpoint.id as string;
      const tested = await h.gql(TEST, { id: endpoint });
      const id = tested.data.testWebhookEndpoint.delivery.messageId as string;
      const listed = async () => (await h.gql(DELIVERIES, { endpoint })).data.webhookDeliveries.edges[0].node;
      await until(async () => (await listed()).status === 'DELIVERED', 10_000, 'the slow delivery recorded');
      // Two more leases' time: a second claim would have been sent by now.
      await sleep(2_000);
      expect(receiver.deliveries.map((d) => [d.id, d.status])).toEqual([[id, 204]]);
    } finally {
      await h.close();
    }
  }, 30_000);
});
