/**
 * Rules and operations of webhooks (issue 33, docs/notifications.md): the failure-rate rule with its threshold, the
 * per-endpoint circuit that pauses an endpoint after repeated failures and resumes it after a probe, events that
 * wait with the audit entries while the ledger cannot be written, and the start-up refusal of several replicas on
 * their own embedded ledgers.
 */
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { closeReceivers, NOTIFY_ENV, registerReceiver } from '../helpers/webhooks.js';
import { pruneEvents } from '../../src/notifications/deliveries.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await closeReceivers();
});

const ENDPOINT = `{ webhookEndpoints { id state pausedUntil consecutiveFailures } }`;
const metrics = async (url: string) => (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();

type Rated = { type: string; data: { failureRate: number; threshold: number; batch: { id: string } } };

describe('webhook rules', () => {
  it('sends batch.failure_rate_exceeded once per batch past the threshold, and only past it', async () => {
    h = await startHarness({ seed: 43, batchCount: 60, env: { ...NOTIFY_ENV, WEBHOOK_RETRY_SCHEDULE: '50ms' } });
    const { receiver } = await registerReceiver(h.gql, {
      events: ['BATCH_FAILURE_RATE_EXCEEDED'],
      filter: { providers: ['FACT_CHECK'], failureRateThreshold: 0.05, failureRateMinItems: 5 },
    });
    const list =
      '{ batches(first: 100, filter: { providers: [FACT_CHECK], statuses: [RUNNING] }) { edges { node { id } } } }';
    // Each listing is a reading of every running batch: their counts move as the clock does.
    for (let i = 0; i < 6; i++) {
      expect((await h.gql(list)).errors).toBeUndefined();
      h.clock.advance(20_000);
      h.clearListCache();
    }
    await until(() => receiver.deliveries.length > 0, 5_000, 'a failure-rate event');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const bodies = receiver.deliveries.map((d) => d.body as Rated);
    expect(bodies.every((b) => b.type === 'batch.failure_rate_exceeded')).toBe(true);
    expect(bodies.every((b) => b.data.failureRate > 0.05 && b.data.threshold === 0.05)).toBe(true);
    const ids = bodies.map((b) => b.data.batch.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('pauses an endpoint after repeated failures, marks it, and resumes it after a successful probe', async () => {
    h = await startHarness({
      seed: 44,
      batchCount: 5,
      env: {
        ...NOTIFY_ENV,
        WEBHOOK_RETRY_SCHEDULE: '20ms,20ms,20ms,20ms,20ms,20ms',
        WEBHOOK_CIRCUIT_FAILURES: '3',
        WEBHOOK_CIRCUIT_PAUSE_MS: '1500',
      },
    });
    let healthy = false;
    const { receiver, id } = await registerReceiver(h.gql, { events: ['BATCH_FAILED'] }, () => ({
      status: healthy ? 204 : 500,
    }));
    const test = `mutation { testWebhookEndpoint(id: "${id}") { delivery { id } } }`;
    for (let i = 0; i < 3; i++) await h.gql(test);
    const harness = h;
    await until(
      async () => (await harness.gql(ENDPOINT)).data.webhookEndpoints[0].state === 'PAUSED',
      5_000,
      'the endpoint paused',
    );
    const paused = (await h.gql(ENDPOINT)).data.webhookEndpoints[0];
    expect(paused.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(Date.parse(paused.pausedUntil)).toBeGreaterThan(Date.now());
    expect(await metrics(h.url)).toMatch(/^batchql_webhook_paused_endpoints 1$/m);
    // While paused, nothing is sent.
    const sent = receiver.deliveries.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.deliveries.length).toBe(sent);
    healthy = true;
    await until(
      async () => (await harness.gql(ENDPOINT)).data.webhookEndpoints[0].state === 'ACTIVE',
      5_000,
      'the endpoint active again',
    );
    await until(
      () => new Set(receiver.deliveries.filter((d) => d.status === 204).map((d) => d.id)).size === 3,
      5_000,
      'all 3 delivered',
    );
    expect((await h.gql(ENDPOINT)).data.webhookEndpoints[0].consecutiveFailures).toBe(0);
  });

  it('keeps events with the audit entries while the ledger cannot be written, and sends them after', async () => {
    const dataDir = freshDataDir();
    h = await startHarness({ seed: 45, batchCount: 5, env: { ...NOTIFY_ENV, DATA_DIR: dataDir, LOG_LEVEL: 'warn' } });
    const { receiver } = await registerReceiver(h.gql, { events: ['BATCH_SUBMITTED'] });
    const other = new DatabaseSync(join(dataDir, 'batchql.sqlite'));
    other.exec('PRAGMA busy_timeout = 0; BEGIN IMMEDIATE');
    try {
      const wrote = await h.gql(`mutation { submitGameballBatch(input: { orders: [{ customerId: "c", orderId: "o-1",
        orderDate: "2026-11-01T10:00:00Z", totalPaid: 1 }] }) { batch { id } } }`);
      const id = wrote.data.submitGameballBatch.batch.id as string;
      const ready = async () => (await (await fetch(h!.url.replace('/graphql', '/ready'))).json()) as any;
      await until(async () => (await ready()).ledger.state === 'failing', 5_000, 'a failed flush');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.deliveries).toEqual([]);
      other.exec('ROLLBACK');
      const [d] = await receiver.waitForCount(1, 35_000);
      expect(d!.verified).toBe(true);
      expect(d!.body).toMatchObject({ type: 'batch.submitted', data: { batch: { id } } });
    } finally {
      other.close();
    }
  }, 60_000);

  it('refuses NOTIFICATIONS=on for several replicas without DATABASE_URL, and runs auto without webhooks', () => {
    const base = { AUTH_MODE: 'none', REDIS_URL: 'redis://127.0.0.1:6379', DATA_DIR: freshDataDir() };
    expect(() => loadConfig({ ...base, NOTIFICATIONS: 'on' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, NOTIFICATIONS: 'on' })).toThrow(
      /NOTIFICATIONS=on with REDIS_URL needs DATABASE_URL/,
    );
    expect(loadConfig({ ...base }).notifications.mode).toBe('auto');
    const shared = loadConfig({ ...base, NOTIFICATIONS: 'on', DATABASE_URL: 'postgres://u@127.0.0.1/db' });
    expect(shared.notifications.mode).toBe('on');
    expect(() => loadConfig({ AUTH_MODE: 'none', WEBHOOK_RETRY_SCHEDULE: '5s,forever' })).toThrow(
      /WEBHOOK_RETRY_SCHEDULE/,
    );
    expect(() => loadConfig({ AUTH_MODE: 'none', WEBHOOK_RETRY_SCHEDULE: '20h,5h' })).toThrow(/within 24 h/);
  });

  it('counts a payload that cannot be rendered as a failed attempt, retried on the schedule, then FAILED', async () => {
    h = await startHarness({ seed: 46, batchCount: 5, env: { ...NOTIFY_ENV, WEBHOOK_RETRY_SCHEDULE: '50ms' } });
    const { receiver, id } = await registerReceiver(h.gql, { events: ['BATCH_FAILED'] });
    h.running.notifications!.worker.useRenderer(() => Promise.reject(new Error('a document that no longer validates')));
    await h.gql(`mutation { testWebhookEndpoint(id: "${id}") { delivery { id } } }`);
    const harness = h;
    const query = `{ webhookDeliveries(endpoint: "${id}") {
      edges { node { status attempts { error statusCode } } } } }`;
    await until(
      async () => (await harness.gql(query)).data.webhookDeliveries.edges[0]?.node.status === 'FAILED',
      5_000,
      'the delivery failed',
    );
    const [delivery] = (await h.gql(query)).data.webhookDeliveries.edges;
    expect(delivery.node.attempts).toEqual([
      { error: 'the payload could not be rendered', statusCode: null },
      { error: 'the payload could not be rendered', statusCode: null },
    ]);
    expect(receiver.deliveries).toEqual([]);
    expect(h.logs.some((line) => line.includes('could not be rendered or stored'))).toBe(true);
  });

  it('prunes ended events with their deliveries, keeps pending ones, and deletes an endpoint whole', async () => {
    // A long retry: the second delivery stays pending through the test.
    h = await startHarness({ seed: 47, batchCount: 5, env: { ...NOTIFY_ENV, WEBHOOK_RETRY_SCHEDULE: '10m' } });
    let answering = true;
    const { receiver, id } = await registerReceiver(h.gql, { events: ['BATCH_FAILED'] }, () => ({
      status: answering ? 204 : 503,
    }));
    const test = `mutation { testWebhookEndpoint(id: "${id}") { delivery { id } } }`;
    await h.gql(test);
    await receiver.waitForCount(1, 5_000);
    const harness = h;
    const listed = async () =>
      (await harness.gql(`{ webhookDeliveries(endpoint: "${id}") { edges { node { id status } } } }`)).data
        .webhookDeliveries.edges;
    await until(async () => (await listed())[0]?.node.status === 'DELIVERED', 5_000, 'delivered');
    answering = false;
    await h.gql(test);
    await until(async () => (await listed()).length === 2, 5_000, 'the second queued');
    const db = h.running.ledger!.database!;
    const count = async (table: 'notify_events' | 'notify_deliveries' | 'notify_attempts') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    // Everything is older than "now + 1 ms"; only the delivered event has ended.
    expect(await pruneEvents(db, Date.now() + 1)).toBe(1);
    expect((await listed()).map((e: { node: { status: string } }) => e.node.status)).toEqual(['PENDING']);
    expect(await count('notify_events')).toBe(1);
    const deleted = await h.gql(`mutation { deleteWebhookEndpoint(id: "${id}") { id userErrors { code } } }`);
    expect(deleted.data.deleteWebhookEndpoint).toEqual({ id, userErrors: [] });
    expect((await h.gql('{ webhookEndpoints { id } }')).data.webhookEndpoints).toEqual([]);
    expect(await count('notify_deliveries')).toBe(0);
    expect(await count('notify_attempts')).toBe(0);
  });
});
