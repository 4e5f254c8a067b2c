/**
 * What a tenant's endpoint cannot do (issue 33, docs/notifications.md "Safety" and "Tenancy"): reach a private
 * address, at creation or later after its DNS answer changed (proved with an injected resolver and a spy on the
 * connector: no test connects to a private address); see, test or redeliver another tenant's endpoints; hear about
 * batches its tenant may not read; or manage endpoints without the operator scope.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { bearer, JWT_TEST_ENV } from '../helpers/auth.js';
import { closeReceivers, CREATE_ENDPOINT, NOTIFY_ENV, registerReceiver } from '../helpers/webhooks.js';
import type { Connector, ResolvedAddress } from '../../src/notifications/safe-connect.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await closeReceivers();
});

const DELIVERIES = `query($endpoint: ID!) { webhookDeliveries(endpoint: $endpoint) { edges { node {
  id status eventType attempts { statusCode error } } } } }`;
const TEST = `mutation($id: ID!) { testWebhookEndpoint(id: $id) { delivery { id } userErrors { code } } }`;

describe('outbound safety', () => {
  it('refuses a private address at creation, and at delivery after DNS changed, connecting to neither', async () => {
    let answer: ResolvedAddress[] = [{ address: '10.1.2.3', family: 4 }];
    const resolved: string[] = [];
    const dialled: string[] = [];
    const connector: Connector = (options, callback) => {
      dialled.push(String(options.hostname));
      callback(new Error('the spy connector never connects'), null);
    };
    h = await startHarness({
      seed: 40,
      batchCount: 5,
      env: { ...NOTIFY_ENV, WEBHOOK_RETRY_SCHEDULE: '50ms' },
      webhookConnect: {
        resolve: (host) => {
          resolved.push(host);
          return Promise.resolve(answer);
        },
        connector,
      },
    });
    const input = { url: 'https://hooks.example.test/batchql', events: ['BATCH_FAILED'] };
    const refused = await h.gql(CREATE_ENDPOINT, { input });
    expect(refused.errors).toBeUndefined();
    expect(refused.data.createWebhookEndpoint.endpoint).toBeNull();
    expect(refused.data.createWebhookEndpoint.userErrors).toEqual([
      { code: 'BAD_USER_INPUT', message: expect.stringMatching(/private/), field: ['input', 'url'] },
    ]);
    expect(resolved).toEqual(['hooks.example.test']);
    // A public answer passes; then the name is rebound to a metadata address before the delivery.
    answer = [{ address: '93.184.216.34', family: 4 }];
    const created = await h.gql(CREATE_ENDPOINT, { input });
    expect(created.data.createWebhookEndpoint.userErrors).toEqual([]);
    const id = created.data.createWebhookEndpoint.endpoint.id as string;
    answer = [{ address: '169.254.169.254', family: 4 }];
    await h.gql(TEST, { id });
    const harness = h;
    await until(
      async () =>
        (await harness.gql(DELIVERIES, { endpoint: id })).data.webhookDeliveries.edges[0]?.node.status === 'FAILED',
      10_000,
      'the delivery refused to the end of its schedule',
    );
    const [delivery] = (await h.gql(DELIVERIES, { endpoint: id })).data.webhookDeliveries.edges;
    expect(delivery.node.attempts).toHaveLength(2);
    for (const attempt of delivery.node.attempts) {
      expect(attempt.statusCode).toBeNull();
      expect(attempt.error).toMatch(/metadata|private/);
    }
    expect(dialled).toEqual([]);
  });

  it('refuses plain http, credentials in the URL and garbage, naming the URL field', async () => {
    h = await startHarness({ seed: 41, batchCount: 5, env: NOTIFY_ENV });
    for (const url of ['http://hooks.example.com/x', 'https://user:pw@hooks.example.com/x', 'not a url']) {
      const r = await h.gql(CREATE_ENDPOINT, { input: { url, events: ['BATCH_FAILED'] } });
      expect(r.data.createWebhookEndpoint.userErrors).toEqual([
        expect.objectContaining({ code: 'BAD_USER_INPUT', field: ['input', 'url'] }),
      ]);
    }
    const rate = await h.gql(CREATE_ENDPOINT, {
      input: { url: 'http://127.0.0.1:9/x', events: ['BATCH_FAILURE_RATE_EXCEEDED'] },
    });
    expect(rate.data.createWebhookEndpoint.userErrors).toEqual([
      expect.objectContaining({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/failureRateThreshold/) }),
    ]);
  });
});

describe('tenancy', () => {
  it("keeps each tenant's endpoints, deliveries and events to itself", async () => {
    h = await startHarness({ seed: 42, batchCount: 5, env: { ...NOTIFY_ENV, ...JWT_TEST_ENV } });
    const scope = 'batches:write batches:operate';
    const a = { authorization: await bearer({ tenant: 'tenant-a', subject: 'alice', scope }) };
    const b = { authorization: await bearer({ tenant: 'tenant-b', subject: 'bob', scope }) };
    const reader = { authorization: await bearer({ tenant: 'tenant-a', subject: 'carol', scope: 'batches:write' }) };
    const events = ['BATCH_SUBMITTED', 'BATCH_SUCCEEDED', 'BATCH_PARTIALLY_SUCCEEDED', 'BATCH_FAILED'];
    const harness = h;
    const { receiver: ra, id: idA } = await registerReceiver((q, v) => harness.gql(q, v, a), { events });
    const { receiver: rb, id: idB } = await registerReceiver((q, v) => harness.gql(q, v, b), { events });

    // Without the operator scope: refused, naming the scope.
    const forbidden = await h.gql('{ webhookEndpoints { id } }', undefined, reader);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.errors?.[0]?.message).toMatch(/batches:operate/);

    // B sees only its own, and A's is not there for it.
    const listed = await h.gql('{ webhookEndpoints { id tenant } }', undefined, b);
    expect(listed.data.webhookEndpoints).toEqual([{ id: idB, tenant: 'tenant-b' }]);
    const tested = await h.gql(TEST, { id: idA }, b);
    expect(tested.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const peeked = await h.gql(DELIVERIES, { endpoint: idA }, b);
    expect(peeked.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const own = await h.gql(TEST, { id: idA }, a);
    const deliveryA = own.data.testWebhookEndpoint.delivery.id as string;
    const redelivered = await h.gql(
      `mutation($d: ID!) { redeliverWebhook(delivery: $d) { delivery { id } userErrors { code } } }`,
      { d: deliveryA },
      b,
    );
    expect(redelivered.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // A Check batch (a provider every tenant shares) submitted by A: A hears about it, B never does.
    const submitted = await h.gql(
      'mutation { submitFactCheckBatch(input: { items: [{ content: "a" }] }) { batch { id } } }',
      undefined,
      a,
    );
    const batchId = submitted.data.submitFactCheckBatch.batch.id as string;
    await until(
      async () => {
        harness.clock.advance(5_000);
        return ra.deliveries.some((d) =>
          /^batch\.(succeeded|partially_succeeded|failed)$/.test(String((d.body as { type: string }).type)),
        );
      },
      20_000,
      "the finished batch at A's endpoint",
    );
    const types = ra.deliveries.map((d) => (d.body as { type: string }).type);
    expect(types).toContain('batch.submitted');
    expect(types).toContain('webhook.test');
    expect(ra.deliveries.every((d) => d.verified)).toBe(true);
    expect(rb.deliveries).toEqual([]);
    // Once B has read the batch, it is one B may read: its later events reach B (none here: it finished).
    const read = await h.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: batchId }, b);
    expect(read.data.node.id).toBe(batchId);
  });
});
