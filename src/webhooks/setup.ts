import type { Logger } from 'pino';
import type { Coordinator } from '../live/coordinator.js';
import type { PollHub } from '../live/poll-hub.js';
import type { Metrics } from '../observability/metrics.js';
import type { Providers } from '../domain/provider.js';
import { SEEN_EVENT_TTL_MS, type CheckWebhookOptions } from './check.js';
import { createSeenEvents } from './seen-events.js';

/** The webhook route's options (undefined without a secret: no route) and what to close at shutdown. */
export interface CheckWebhookSetup {
  options: CheckWebhookOptions | undefined;
  close(): Promise<void>;
}

/**
 * Wires Check webhooks into one gateway process: every process settles its watches of a batch
 * another process broadcasts as settled; with `secret` (and Check configured) this process also
 * serves `POST /webhooks/check`, remembering event ids in Redis when `redisUrl` is set.
 */
export function setUpCheckWebhook(o: {
  secret: string | undefined;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  providers: Providers;
  hub: PollHub;
  coordinator: Coordinator;
  logger: Logger;
  metrics: Metrics;
  now?: (() => number) | undefined;
}): CheckWebhookSetup {
  // A terminal state (a webhook, a cancel) ends the watches; a state that is not terminal yet (a cancel
  // still under way upstream) makes the poll loops read the batch now.
  const unlisten = o.coordinator.onBroadcast((m) => {
    if (m.batch.isTerminal) void o.hub.settle(m.provider, m.providerBatchId, m.batch);
    else o.hub.nudge(m.provider, m.providerBatchId);
  });
  const provider = o.providers.FACT_CHECK;
  if (!o.secret || !provider)
    return {
      options: undefined,
      close: async () => unlisten(),
    };
  const seen = createSeenEvents({
    ttlMs: SEEN_EVENT_TTL_MS,
    prefix: o.redisKeyPrefix,
    ...(o.redisUrl ? { redisUrl: o.redisUrl } : {}),
  });
  return {
    options: {
      secret: o.secret,
      provider,
      settle: (m) => o.hub.settle(m.provider, m.providerBatchId, m.batch),
      broadcast: (m) => o.coordinator.broadcast(m),
      seen,
      logger: o.logger,
      count: (outcome) => o.metrics.webhook('FACT_CHECK', outcome),
      ...(o.now ? { now: o.now } : {}),
    },
    async close() {
      unlisten();
      await seen.close();
    },
  };
}
