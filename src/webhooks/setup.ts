import type { Logger } from 'pino';
import type { Coordinator } from '../live/coordinator.js';
import type { PollHub } from '../live/poll-hub.js';
import type { Metrics } from '../observability/metrics.js';
import type { Providers } from '../domain/provider.js';
import type { GatewayRedis } from '../redis/connection.js';
import type { Batch, ProviderName } from '../domain/batch.js';
import { seenEventTtlMs, type WebhookRouteOptions } from './receiver.js';
import type { WebhookParser } from './types.js';
import { createSeenEvents } from './seen-events.js';

/** The webhook routes to serve (none without a provider whose secret is set) and what to close at shutdown. */
export interface WebhookSetup {
  routes: WebhookRouteOptions[];
  close(): Promise<void>;
}

/**
 * Wires provider webhooks into one gateway process: every process settles its watches of a batch
 * another process broadcasts as settled; for every configured provider whose webhook secret is set, this
 * process also serves its route (`webhook.path`), remembering event ids in Redis when `redis` is given.
 */
export function setUpWebhooks(o: {
  /** The configured providers' webhooks, with their secrets (undefined: that webhook is off). */
  webhooks: readonly { name: ProviderName; webhook: WebhookParser; secret: string | undefined }[];
  /** The gateway's Redis, when `REDIS_URL` is set: event ids are shared by every replica. */
  redis: GatewayRedis | undefined;
  providers: Providers;
  hub: PollHub;
  coordinator: Coordinator;
  logger: Logger;
  metrics: Metrics;
  now?: (() => number) | undefined;
  /** Told of every confirmed event, with its provider (the ledger's timeline). */
  noted?: ((name: ProviderName, batch: Batch, type: string) => void) | undefined;
}): WebhookSetup {
  // A terminal state (a webhook, a cancel) ends the watches; a state that is not terminal yet (a cancel
  // still under way upstream) makes the poll loops read the batch now.
  const unlisten = o.coordinator.onBroadcast((m) => {
    if (m.batch.isTerminal) void o.hub.settle(m.provider, m.providerBatchId, m.batch);
    else o.hub.nudge(m.provider, m.providerBatchId);
  });
  const served = o.webhooks.flatMap(({ name, webhook, secret }) => {
    const provider = o.providers[name];
    return secret && provider ? [{ name, webhook, secret, provider }] : [];
  });
  if (served.length === 0)
    return {
      routes: [],
      close: async () => unlisten(),
    };
  // One store for every route (event ids are kept apart by each webhook's namespace), remembering ids
  // long enough for the most tolerant one.
  const seen = createSeenEvents({
    ttlMs: Math.max(...served.map((s) => seenEventTtlMs(s.webhook.toleranceMs))),
    redis: o.redis,
  });
  return {
    routes: served.map(({ name, webhook, secret, provider }) => ({
      name,
      webhook,
      secret,
      provider,
      settle: (m) => o.hub.settle(m.provider, m.providerBatchId, m.batch),
      broadcast: (m) => o.coordinator.broadcast(m),
      seen,
      logger: o.logger,
      count: (outcome) => o.metrics.webhook(name, outcome),
      noted: o.noted && ((batch: Batch, type: string) => o.noted!(name, batch, type)),
      ...(o.now ? { now: o.now } : {}),
    })),
    async close() {
      unlisten();
      await seen.close();
    },
  };
}
