import { expect } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/dev/webhook-receiver.js';
import type { GqlResponse } from './harness.js';

/** Outbound webhooks fast enough for tests: the receivers' loopback host allowed, polls and retries in ms. */
export const NOTIFY_ENV = {
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  WEBHOOK_POLL_MS: '50',
  WEBHOOK_RETRY_SCHEDULE: '50ms,50ms,50ms,50ms',
  LIVE_POLL_BACKGROUND_MS: '50',
  WATCH_BACKGROUND_SCAN_MS: '100',
};

export const CREATE_ENDPOINT = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id url state events activeSecrets } secret userErrors { code message field } } }`;

/** A GraphQL call: a harness's `gql`, or one bound to a gateway process. */
type Gql = (query: string, variables?: Record<string, unknown>) => Promise<Pick<GqlResponse, 'data' | 'errors'>>;

const started: WebhookReceiver[] = [];

/**
 * Starts a receiver on loopback and registers it as an endpoint (`input` without its URL): the receiver verifies
 * with the secret the registration answered. Closed by `closeReceivers`.
 */
export async function registerReceiver(
  gql: Gql,
  input: Record<string, unknown>,
  respond?: Parameters<typeof startWebhookReceiver>[0]['respond'],
): Promise<{ receiver: WebhookReceiver; id: string; secret: string }> {
  let secret = '';
  const receiver = await startWebhookReceiver({ secrets: () => [secret], ...(respond ? { respond } : {}) });
  started.push(receiver);
  const created = await gql(CREATE_ENDPOINT, { input: { url: receiver.url, ...input } });
  expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
  expect(created.data.createWebhookEndpoint.userErrors).toEqual([]);
  secret = created.data.createWebhookEndpoint.secret;
  return { receiver, id: created.data.createWebhookEndpoint.endpoint.id, secret };
}

/** Closes every receiver `registerReceiver` started (an `afterEach`). */
export async function closeReceivers(): Promise<void> {
  for (const receiver of started.splice(0)) await receiver.close();
}

/** The payload `type` of a delivery. */
export const typeOf = (d: { body: unknown }) => (d.body as { type: string }).type;
