/**
 * Outbound webhooks end to end (issue 33, docs/notifications.md): endpoints managed through GraphQL, events written
 * with the ledger's changes, delivered signed to a real receiver on loopback that verifies each signature with
 * `standardwebhooks`, retried on the schedule, never following a redirect, and signed with both secrets during a
 * rotation's overlap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/dev/webhook-receiver.js';

let h: Harness | undefined;
let receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const r of receivers) await r.close();
  receivers = [];
});

/** Fast retries and polls, the receiver's loopback host allowed. */
const NOTIFY_ENV = {
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  WEBHOOK_RETRY_SCHEDULE: '50ms,50ms,50ms,50ms',
  WEBHOOK_POLL_MS: '50',
  LIVE_POLL_BACKGROUND_MS: '50',
  WATCH_BACKGROUND_SCAN_MS: '100',
};

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id url state events activeSecrets } secret userErrors { code message field } } }`;
const DELIVERIES = `query($endpoint: ID!) { webhookDeliveries(endpoint: $endpoint, first: 50) { edges { node {
  id messageId eventType status batchId payload attempts { attempt statusCode latencyMs error } } } } }`;
const TEST = `mutation($id: ID!) { testWebhookEndpoint(id: $id) {
  delivery { id messageId status } userErrors { code } } }`;

async function receiver(
  secrets: () => string[],
  respond?: Parameters<typeof startWebhookReceiver>[0]['respond'],
): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver({ secrets, ...(respond ? { respond } : {}) });
  receivers.push(r);
  return r;
}

async function createEndpoint(harness: Harness, input: Record<string, unknown>) {
  const r = await harness.gql(CREATE, { input });
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  expect(r.data.createWebhookEndpoint.userErrors).toEqual([]);
  return r.data.createWebhookEndpoint as { endpoint: { id: string }; secret: string };
}

async function deliveries(harness: Harness, endpoint: string) {
  const r = await harness.gql(DELIVERIES, { endpoint });
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.webhookDeliveries.edges.map((e: { node: unknown }) => e.node) as {
    id: string;
    messageId: string;
    eventType: string;
    status: string;
    batchId: string | null;
    payload: { type: string; data: { batch?: { id: string; status: string } } } | null;
    attempts: { attempt: number; statusCode: number | null; error: string | null }[];
  }[];
}

const TERMINAL = ['BATCH_SUCCEEDED', 'BATCH_PARTIALLY_SUCCEEDED', 'BATCH_FAILED', 'BATCH_CANCELLED'];

describe('webhook delivery', () => {
  it('delivers a finished batch once to each matching endpoint, signed, and to no other', async () => {
    h = await startHarness({ seed: 33, batchCount: 20, env: NOTIFY_ENV });
    let secretA = '';
    let secretB = '';
    let secretC = '';
    const a = await receiver(() => [secretA]);
    const b = await receiver(() => [secretB]);
    const c = await receiver(() => [secretC]);
    const ea = await createEndpoint(h, { url: a.url, events: [...TERMINAL, 'BATCH_SUBMITTED'] });
    const eb = await createEndpoint(h, { url: b.url, events: TERMINAL, filter: { providers: ['FACT_CHECK'] } });
    const ec = await createEndpoint(h, { url: c.url, events: TERMINAL, filter: { providers: ['REACH'] } });
    secretA = ea.secret;
    secretB = eb.secret;
    secretC = ec.secret;
    expect(secretA).toMatch(/^whsec_/);
    const submitted = await h.gql(
      'mutation { submitFactCheckBatch(input: { items: [{ content: "a" }, { content: "b" }] }) { batch { id } } }',
    );
    const id = submitted.data.submitFactCheckBatch.batch.id as string;
    const harness = h;
    await until(
      async () => {
        harness.clock.advance(5_000);
        return a.deliveries.some((d) => (d.body as { type: string }).type !== 'batch.submitted');
      },
      20_000,
      'the terminal event at endpoint A',
    );
    await b.waitForCount(1, 5_000);
    // Anything else would have come by now: the outbox is empty once both are delivered.
    await until(
      async () => (await deliveries(harness, ea.endpoint.id)).every((d) => d.status === 'DELIVERED'),
      5_000,
      'A delivered',
    );
    expect(c.deliveries).toEqual([]);
    const terminalAtA = a.deliveries.filter((d) => (d.body as { type: string }).type !== 'batch.submitted');
    expect(terminalAtA).toHaveLength(1);
    expect(a.deliveries.filter((d) => (d.body as { type: string }).type === 'batch.submitted')).toHaveLength(1);
    expect(b.deliveries).toHaveLength(1);
    for (const d of [...a.deliveries, ...b.deliveries]) expect(d.verified).toBe(true);
    expect(b.deliveries[0]!.verifiedWith).toEqual([secretB]);
    // One event, one `webhook-id`, whichever endpoint it goes to.
    expect(b.deliveries[0]!.id).toBe(terminalAtA[0]!.id);
    const body = b.deliveries[0]!.body as {
      type: string;
      data: { payloadVersion: number; batch: Record<string, unknown> };
    };
    expect(body.type).toMatch(/^batch\.(succeeded|partially_succeeded|failed|cancelled)$/);
    expect(body.data.payloadVersion).toBe(1);
    expect(body.data.batch).toMatchObject({ __typename: 'FactCheckBatch', id, isTerminal: true });
    const listed = await deliveries(h, eb.endpoint.id);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ batchId: id, status: 'DELIVERED', messageId: b.deliveries[0]!.id });
    expect(listed[0]!.attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204 })]);
  });

  it('retries a failing receiver on the schedule: 500 three times then 200 is 4 attempts, 1 success', async () => {
    h = await startHarness({ seed: 34, batchCount: 5, env: NOTIFY_ENV });
    let secret = '';
    const r = await receiver(
      () => [secret],
      (d) => ({ status: d.attempt <= 3 ? 500 : 200 }),
    );
    const e = await createEndpoint(h, { url: r.url, events: ['BATCH_FAILED'] });
    secret = e.secret;
    const t = await h.gql(TEST, { id: e.endpoint.id });
    expect(t.data.testWebhookEndpoint.userErrors).toEqual([]);
    const harness = h;
    await until(
      async () => (await deliveries(harness, e.endpoint.id))[0]?.status === 'DELIVERED',
      10_000,
      'the test delivery delivered',
    );
    const [delivery] = await deliveries(h, e.endpoint.id);
    expect(delivery!.eventType).toBe('WEBHOOK_TEST');
    expect(delivery!.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
    expect(r.deliveries.map((d) => d.status)).toEqual([500, 500, 500, 200]);
    // Every attempt carries the same id and payload.
    expect(new Set(r.deliveries.map((d) => d.id)).size).toBe(1);
    expect(new Set(r.deliveries.map((d) => d.raw)).size).toBe(1);
    expect(r.deliveries.every((d) => d.verified)).toBe(true);
  });

  it('does not follow a redirect: a 302 is a failed attempt, and its target hears nothing', async () => {
    h = await startHarness({ seed: 35, batchCount: 5, env: { ...NOTIFY_ENV, WEBHOOK_RETRY_SCHEDULE: '50ms' } });
    let secret = '';
    const target = await receiver(() => [secret]);
    const r = await receiver(
      () => [secret],
      () => ({ status: 302, headers: { location: target.url } }),
    );
    const e = await createEndpoint(h, { url: r.url, events: ['BATCH_FAILED'] });
    secret = e.secret;
    await h.gql(TEST, { id: e.endpoint.id });
    const harness = h;
    await until(
      async () => (await deliveries(harness, e.endpoint.id))[0]?.status === 'FAILED',
      10_000,
      'the delivery failed',
    );
    const [delivery] = await deliveries(h, e.endpoint.id);
    expect(delivery!.attempts.map((a) => a.statusCode)).toEqual([302, 302]);
    expect(target.deliveries).toEqual([]);
  });

  it('sends to an endpoint at once while another, slow and at its concurrency bound, has a backlog', async () => {
    // bench/notify.ts: the due deliveries were read oldest first, a window of them at a time, before the rooms were
    // looked at, so a backlog of a slow endpoint filled the window and every other endpoint waited behind it.
    h = await startHarness({
      seed: 37,
      batchCount: 5,
      env: { ...NOTIFY_ENV, WEBHOOK_CONCURRENCY: '4', WEBHOOK_CONCURRENCY_PER_ENDPOINT: '1' },
    });
    let slowSecret = '';
    let fastSecret = '';
    const slow = await receiver(
      () => [slowSecret],
      () => ({ status: 204, delayMs: 1_000 }),
    );
    const fast = await receiver(() => [fastSecret]);
    const es = await createEndpoint(h, { url: slow.url, events: ['BATCH_FAILED'] });
    const ef = await createEndpoint(h, { url: fast.url, events: ['BATCH_FAILED'] });
    slowSecret = es.secret;
    fastSecret = ef.secret;
    // More due deliveries of the slow endpoint than the worker's window of candidates (at least 50).
    for (let i = 0; i < 60; i++) await h.gql(TEST, { id: es.endpoint.id });
    const asked = Date.now();
    await h.gql(TEST, { id: ef.endpoint.id });
    const [d] = await fast.waitForCount(1, 5_000);
    expect(d!.receivedAt - asked).toBeLessThan(3_000);
    expect(slow.deliveries.length).toBeLessThan(20);
  });

  it('signs with the old and the new secret during the overlap after a rotation', async () => {
    h = await startHarness({ seed: 36, batchCount: 5, env: NOTIFY_ENV });
    const secrets: string[] = [];
    const r = await receiver(() => secrets);
    const e = await createEndpoint(h, { url: r.url, events: ['BATCH_FAILED'] });
    secrets.push(e.secret);
    const rotated = await h.gql(
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { activeSecrets } secret userErrors { code } } }`,
      { id: e.endpoint.id },
    );
    const fresh = rotated.data.rotateWebhookSecret.secret as string;
    expect(fresh).not.toBe(e.secret);
    expect(rotated.data.rotateWebhookSecret.endpoint.activeSecrets).toBe(2);
    secrets.push(fresh);
    await h.gql(TEST, { id: e.endpoint.id });
    const [d] = await r.waitForCount(1, 5_000);
    expect(d!.signatures).toHaveLength(2);
    expect(d!.verifiedWith.sort()).toEqual([e.secret, fresh].sort());
  });
});
