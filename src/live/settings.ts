import { hostname } from 'node:os';
import { env, fragment } from '../config/settings.js';
import { DEFAULT_POLL_POLICY, type PollPolicy } from './poll-policy.js';

/** Settings of subscriptions and the poll hub (the polling intervals are the hub's `PollPolicy`). */
export interface LiveSettings extends Omit<PollPolicy, 'jitter'> {
  /** This process's name in leases and logs. */
  instanceId: string;
  leaseMs: number;
  maxSubscriptions: number;
  maxSubscriptionsPerConnection: number;
  /** Watched batches one client (see `identity.ts`) may hold on this process. */
  maxSubscriptionsPerClient: number;
  /** Refresh watched batches through the provider's list where it can (`live/bulk-refresh.ts`). */
  bulkRefresh: boolean;
}

const D = DEFAULT_POLL_POLICY;
const HOUR = 3_600_000;

/**
 * `LIVE_*` and `INSTANCE_ID`; polling defaults come from `DEFAULT_POLL_POLICY`. An interval may not exceed its
 * maximum (idle, error). With `REDIS_URL` (`redis/settings.ts`), replicas share poll loops and events.
 */
export const liveSettings = fragment(
  {
    INSTANCE_ID: env.text(),
    LIVE_POLL_RUNNING_MS: env.int(D.runningMs, 10, HOUR),
    LIVE_POLL_IDLE_MS: env.int(D.idleMs, 10, HOUR),
    LIVE_POLL_IDLE_MAX_MS: env.int(D.idleMaxMs, 10, HOUR),
    LIVE_POLL_PENDING_MS: env.int(D.pendingMs, 10, HOUR),
    LIVE_POLL_ERROR_MS: env.int(D.errorMs, 10, HOUR),
    LIVE_POLL_ERROR_MAX_MS: env.int(D.errorMaxMs, 10, HOUR),
    LIVE_LEASE_MS: env.int(5_000, 100, 600_000),
    LIVE_MAX_SUBSCRIPTIONS: env.int(20_000, 1, 10_000_000),
    LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: env.int(100, 1, 100_000),
    LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT: env.int(1_000, 1, 10_000_000),
    LIVE_BULK_REFRESH: env.bool(true),
  },
  (v, fail): LiveSettings => {
    if (v.LIVE_POLL_IDLE_MS > v.LIVE_POLL_IDLE_MAX_MS)
      fail(
        `LIVE_POLL_IDLE_MS (${v.LIVE_POLL_IDLE_MS}) must not exceed LIVE_POLL_IDLE_MAX_MS (${v.LIVE_POLL_IDLE_MAX_MS})`,
      );
    if (v.LIVE_POLL_ERROR_MS > v.LIVE_POLL_ERROR_MAX_MS)
      fail(
        `LIVE_POLL_ERROR_MS (${v.LIVE_POLL_ERROR_MS}) must not exceed ` +
          `LIVE_POLL_ERROR_MAX_MS (${v.LIVE_POLL_ERROR_MAX_MS})`,
      );
    return {
      instanceId: v.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
      runningMs: v.LIVE_POLL_RUNNING_MS,
      idleMs: v.LIVE_POLL_IDLE_MS,
      idleMaxMs: v.LIVE_POLL_IDLE_MAX_MS,
      pendingMs: v.LIVE_POLL_PENDING_MS,
      errorMs: v.LIVE_POLL_ERROR_MS,
      errorMaxMs: v.LIVE_POLL_ERROR_MAX_MS,
      leaseMs: v.LIVE_LEASE_MS,
      maxSubscriptions: v.LIVE_MAX_SUBSCRIPTIONS,
      maxSubscriptionsPerConnection: v.LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSubscriptionsPerClient: v.LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT,
      bulkRefresh: v.LIVE_BULK_REFRESH,
    };
  },
);
