/**
 * Outbound webhooks end to end (issue 33, docs/notifications.md): endpoints managed through GraphQL, events written
 * with the ledger's changes, delivered signed to a real receiver on loopback that verifies each signature with
 * `standardwebhooks`, retried on the schedule, never following a redirect, and signed with both secrets during a
 * rotation's overlap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { closeReceivers, CREATE_ENDPOINT, NOTIFY_ENV, registerReceiver, typeOf } from '../helpers/webhooks.js';
import { startWebhookReceiver } from '../../src/dev/webhook-receiver.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await closeReceivers();
});

const DELIVERIES = `query($endpoint: ID!) { webhookDeliveries(endpoint: $endpoint, first: 50) { edges { node {
  id messageId eventType status batchId payload attempts { attempt statusCode latencyMs error } } } } }`;
const TEST = `mutation($id: ID!) { testWebhookEndpoint(id: $id) {
  delivery { id messageId status } userErrors { code } } }`;

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
    const { receiver: a, id: ea, secret } = await registerReceiver(h.gql, { events: [...TERMINAL, 'BATCH_SUBMITTED'] });
    const {
      receiver: b,
      id: eb,
      secret: secretB,
    } = await registerReceiver(h.gql, {
      events: TERMINAL,
      filter: { providers: ['FACT_CHECK'] },
    });
    const { receiver: c } = await registerReceiver(h.gql, { events: TERMINAL, filter: { providers: ['REACH'] } });
    expect(secret).toMatch(/^whsec_/);
    const submitted = await h.gql(
      'mutation { submitFactCheckBatch(input: { items: [{ content: "a" }, { content: "b" }] }) { batch { id } } }',
    );
    const id = submitted.data.submitFactCheckBatch.batch.id as string;
    const harness = h;
    await until(
      async () => {
        harness.clock.advance(5_000);
        return a.deliveries.some((d) => typeOf(d) !== 'batch.submitted');
      },
      20_000,
      'the terminal event at endpoint A',
    );
    await b.waitForCount(1, 5_000);
    // Anything else would have come by now: the outbox is empty once both are delivered.
    await until(
      async () => (await deliveries(harness, ea)).every((d) => d.status === 'DELIVERED'),
      5_000,
      'A delivered',
    );
    expect(c.deliveries).toEqual([]);
    const terminalAtA = a.deliveries.filter((d) => typeOf(d) !== 'batch.submitted');
    expect(terminalAtA).toHaveLength(1);
    expect(a.deliveries.filter((d) => typeOf(d) === 'batch.submitted')).toHaveLength(1);
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
    const listed = await deliveries(h, eb);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ batchId: id, status: 'DELIVERED', messageId: b.deliveries[0]!.id });
    expect(listed[0]!.attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204 })]);
    // The metrics count the same: 2 events (the submission, the finish), 3 deliveries, each first tried once.
    const metrics = await (await fetch(h.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(metrics).toMatch(/^batchql_webhook_events_total 2$/m);
    expect(metrics).toMatch(/^batchql_webhook_deliveries_total\{outcome="queued"\} 3$/m);
    expect(metrics).toMatch(/^batchql_webhook_deliveries_total\{outcome="delivered"\} 3$/m);
    expect(metrics).toMatch(/^batchql_webhook_attempts_total\{outcome="delivered"\} 3$/m);
    expect(metrics).toMatch(/^batchql_webhook_lag_seconds_count 3$/m);
  });

  it('retries a failing receiver on the schedule: 500 three times then 200 is 4 attempts, 1 success', async () => {
    h = await startHarness({ seed: 34, batchCount: 5, env: NOTIFY_ENV });
    const { receiver: r, id } = await registerReceiver(h.gql, { events: ['BATCH_FAILED'] }, (d) => ({
      status: d.attempt <= 3 ? 500 : 200,
    }));
    const t = await h.gql(TEST, { id });
    expect(t.data.testWebhookEndpoint.userErrors).toEqual([]);
    const harness = h;
    await until(
      async () => (await deliveries(harness, id))[0]?.status === 'DELIVERED',
      10_000,
      'the test delivery delivered',
    );
    const [delivery] = await deliveries(h, id);
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
    const { receiver: target } = await registerReceiver(h.gql, { events: ['BATCH_FAILED'] });
    const { id } = await registerReceiver(h.gql, { events: ['BATCH_FAILED'] }, () => ({
      status: 302,
      headers: { location: target.url },
    }));
    await h.gql(TEST, { id });
    const harness = h;
    await until(async () => (await deliveries(harness, id))[0]?.status === 'FAILED', 10_000, 'the delivery failed');
    const [delivery] = await deliveries(h, id);
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
    const { receiver: slow, id: slowId } = await registerReceiver(h.gql, { events: ['BATCH_FAILED'] }, () => ({
      status: 204,
      delayMs: 1_000,
    }));
    const { receiver: fast, id: fastId } = await registerReceiver(h.gql, { events: ['BATCH_FAILED'] });
    // More due deliveries of the slow endpoint than the worker's window of candidates (at least 50).
    for (let i = 0; i < 60; i++) await h.gql(TEST, { id: slowId });
    await h.gql(TEST, { id: fastId });
    await fast.waitForCount(1, 10_000);
    // The slow endpoint answers one a second, one at a time: the fast one did not wait for its backlog.
    expect(slow.deliveries.length).toBeLessThan(10);
  });

  it('signs with the old and the new secret during the overlap after a rotation', async () => {
    h = await startHarness({ seed: 36, batchCount: 5, env: NOTIFY_ENV });
    // A receiver that knows both secrets, to say which of them verified each message.
    const secrets: string[] = [];
    const r = await startWebhookReceiver({ secrets: () => secrets });
    try {
      const created = await h.gql(CREATE_ENDPOINT, { input: { url: r.url, events: ['BATCH_FAILED'] } });
      const e = created.data.createWebhookEndpoint as { endpoint: { id: string }; secret: string };
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
      // Each change of an endpoint is in the audit log.
      await h.running.ledger!.flushNow();
      const log = await h.gql('{ auditLog(first: 10) { edges { node { mutation outcome } } } }');
      expect(log.data.auditLog.edges.map((x: { node: unknown }) => x.node)).toEqual([
        { mutation: 'testWebhookEndpoint', outcome: 'DONE' },
        { mutation: 'rotateWebhookSecret', outcome: 'DONE' },
        { mutation: 'createWebhookEndpoint', outcome: 'CREATED' },
      ]);
    } finally {
      await r.close();
    }
  });

  it('pages the deliveries newest first, forward and backward, with signed cursors', async () => {
    h = await startHarness({ seed: 38, batchCount: 5, env: NOTIFY_ENV });
    const e = { endpoint: { id: (await registerReceiver(h.gql, { events: ['BATCH_FAILED'] })).id } };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await h.gql(TEST, { id: e.endpoint.id })).data.testWebhookEndpoint.delivery.id);
    const page = `query($e: ID!, $first: Int, $after: String, $last: Int, $before: String) {
      webhookDeliveries(endpoint: $e, first: $first, after: $after, last: $last, before: $before) {
        edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
    const nodes = (x: any) => x.data.webhookDeliveries.edges.map((edge: any) => edge.node.id);
    const one = await h.gql(page, { e: e.endpoint.id, first: 2 });
    expect(nodes(one)).toEqual([ids[4], ids[3]]);
    expect(one.data.webhookDeliveries.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const two = await h.gql(page, { e: e.endpoint.id, first: 2, after: one.data.webhookDeliveries.pageInfo.endCursor });
    expect(nodes(two)).toEqual([ids[2], ids[1]]);
    const back = await h.gql(page, {
      e: e.endpoint.id,
      last: 2,
      before: two.data.webhookDeliveries.pageInfo.startCursor,
    });
    expect(nodes(back)).toEqual([ids[4], ids[3]]);
    expect(back.data.webhookDeliveries.pageInfo.hasPreviousPage).toBe(false);
    const oldest = await h.gql(page, { e: e.endpoint.id, last: 2 });
    expect(nodes(oldest)).toEqual([ids[1], ids[0]]);
    const forged = await h.gql(page, { e: e.endpoint.id, after: 'eyJpIjoxfQ.AAAA' });
    expect(forged.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const both = await h.gql(page, { e: e.endpoint.id, first: 1, last: 1 });
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // The same page nested under the endpoint.
    const nested = await h.gql('{ webhookEndpoints { deliveries(first: 2) { edges { node { id } } } } }');
    expect(nested.data.webhookEndpoints[0].deliveries.edges.map((edge: any) => edge.node.id)).toEqual(nodes(one));
  });

  it('redelivers a delivered delivery with the same id and payload, its attempts kept, and counts it', async () => {
    h = await startHarness({ seed: 39, batchCount: 5, env: NOTIFY_ENV });
    const { receiver, id } = await registerReceiver(h.gql, { events: ['BATCH_FAILED'] });
    const queued = (await h.gql(TEST, { id })).data.testWebhookEndpoint.delivery;
    await receiver.waitForCount(1, 5_000);
    const harness = h;
    await until(async () => (await deliveries(harness, id))[0]?.status === 'DELIVERED', 5_000, 'delivered');
    const again = await h.gql(
      `mutation($d: ID!) { redeliverWebhook(delivery: $d) { delivery { id messageId } userErrors { code } } }`,
      { d: queued.id },
    );
    expect(again.data.redeliverWebhook).toEqual({
      delivery: { id: queued.id, messageId: queued.messageId },
      userErrors: [],
    });
    const [first, second] = await receiver.waitForCount(2, 5_000);
    expect(second!.id).toBe(first!.id);
    expect(second!.raw).toBe(first!.raw);
    expect(second!.verified).toBe(true);
    await until(async () => (await deliveries(harness, id))[0]?.attempts.length === 2, 5_000, 'two attempts');
    const metrics = await (await fetch(h.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(metrics).toMatch(/^batchql_webhook_events_total 1$/m);
    expect(metrics).toMatch(/^batchql_webhook_deliveries_total\{outcome="queued"\} 2$/m);
    expect(metrics).toMatch(/^batchql_webhook_deliveries_total\{outcome="delivered"\} 2$/m);
  });
});
