import { hostname } from 'node:os';
import { env, fragment, notAbove } from '../config/settings.js';
import type { PollPolicy } from './poll-policy.js';

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

const HOUR = 3_600_000;

/**
 * `LIVE_*` and `INSTANCE_ID`: the only place the poll policy's defaults are written (the hub takes its
 * `PollPolicy` whole). An interval may not exceed its maximum (idle, error). With `REDIS_URL` (`redis/settings.ts`),
 * replicas share poll loops and events.
 */
export const liveSettings = fragment(
  {
    INSTANCE_ID: env
      .text()
      .meta({ fallback: '`<hostname>-<pid>`' })
      .describe("this replica's name in leases and in the upstream `user-agent`"),
    LIVE_POLL_RUNNING_MS: env
      .int(2_000, 10, HOUR)
      .describe("poll interval while a watched batch runs (also the bulk refresh's tick)"),
    LIVE_POLL_IDLE_MS: env.int(2_000, 10, HOUR).describe('first interval while queued or unchanged (then doubling)'),
    LIVE_POLL_IDLE_MAX_MS: env.int(30_000, 10, HOUR).describe('longest interval while queued or unchanged'),
    LIVE_POLL_PENDING_MS: env
      .int(60_000, 10, HOUR)
      .describe('interval for a finished Reach batch with pending records'),
    LIVE_POLL_ERROR_MS: env.int(2_000, 10, HOUR).describe('first interval after a failed poll (then doubling)'),
    LIVE_POLL_ERROR_MAX_MS: env
      .int(60_000, 10, HOUR)
      .describe(
        'longest interval after failed polls (a longer Retry-After is waited for, up to this), and the longest a ' +
          "429's Retry-After pauses a provider's polling",
      ),
    LIVE_LEASE_MS: env
      .int(5_000, 100, 600_000)
      .describe("poll lease in Redis: how long a dead replica's batches wait for a takeover"),
    LIVE_MAX_SUBSCRIPTIONS: env
      .int(20_000, 1, 10_000_000)
      .describe('watched batches per process, summed over subscriptions (a `batches(ids:)` stream counts one per id)'),
    LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: env.int(100, 1, 100_000).describe('subscriptions per WebSocket'),
    LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT: env
      .int(1_000, 1, 10_000_000)
      .describe(
        'watched batches one client may hold, per replica, counted as `LIVE_MAX_SUBSCRIPTIONS` counts ' +
          '([live-progress.md](live-progress.md#limits))',
      ),
    LIVE_BULK_REFRESH: env
      .bool(true)
      .describe('refresh watched Check batches through its list (`false`: each on its own)'),
  },
  (v): LiveSettings => {
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
  {
    title: 'Live progress',
    says:
      'Subscriptions and the poll hub behind them ([live-progress.md](live-progress.md)): its polling policy, its ' +
      'limits, and its lease when replicas share it through Redis.',
    rules: [
      notAbove(
        'LIVE_POLL_IDLE_MS',
        'LIVE_POLL_IDLE_MAX_MS',
        'An interval may not exceed its maximum: ' + '`LIVE_POLL_IDLE_MS` may not exceed `LIVE_POLL_IDLE_MAX_MS`.',
      ),
      notAbove('LIVE_POLL_ERROR_MS', 'LIVE_POLL_ERROR_MAX_MS'),
    ],
  },
);
