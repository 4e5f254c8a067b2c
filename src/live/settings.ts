import { hostname } from 'node:os';
import { env, fragment, notAbove } from '../config/settings.js';
import type { PollPolicy } from './poll-policy.js';
import type { HealthPolicy } from './health.js';

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
    LIVE_POLL_BACKGROUND_MS: env
      .int(30_000, 10, HOUR)
      .describe(
        'shortest interval of a background watch of a batch read on its own (Reach, Gameball), and of a Check ' +
          'bulk refresh whose batches are all watched in the background ' +
          '([live-progress.md](live-progress.md#background-watching))',
      ),
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
      backgroundMs: v.LIVE_POLL_BACKGROUND_MS,
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

/** Batch health and the background watch (docs/live-progress.md, "Batch health", "Background watching"). */
export interface HealthSettings {
  policy: HealthPolicy;
  /** Batches watched in the background at once, per replica (0: none). */
  backgroundMax: number;
  /** How often the background watch looks in the ledger for batches to watch. */
  backgroundScanMs: number;
}

const MINUTE = 60_000;

/** `HEALTH_*` and `WATCH_BACKGROUND_*`: the numbers health is judged by, and the background watch's bounds. */
export const healthSettings = fragment(
  {
    HEALTH_STALL_AFTER_MS: env
      .int(10 * MINUTE, 100, 24 * HOUR)
      .describe(
        'a RUNNING batch with no progress for this long is `STALLED`; a stored health judged longer ago than this ' +
          'no longer counts (`UNKNOWN`)',
      ),
    HEALTH_WINDOW_MS: env
      .int(5 * MINUTE, 100, 24 * HOUR)
      .describe("the recent window whose rate is compared with the batch's earlier rate (`SLOW`)"),
    HEALTH_SLOW_FRACTION: env
      .number(0.25, 0.01, 0.99)
      .describe("`SLOW` when the recent window's rate is below this fraction of the batch's earlier rate"),
    HEALTH_MIN_SAMPLES: env.int(5, 2, 10_000).describe('readings whose count moved, at least, before `SLOW` is judged'),
    HEALTH_RECOVER_READINGS: env
      .int(3, 1, 1_000)
      .describe('consecutive readings that say better before a `STALLED` or `SLOW` batch is `OK` again'),
    WATCH_BACKGROUND_MAX: env
      .int(1_000, 0, 1_000_000)
      .describe(
        'batches watched in the background (submitted through batchql, not finished) per replica; `0` turns the ' +
          'background watch off. Running batches beyond it that nobody watches have health `UNKNOWN`',
      ),
    WATCH_BACKGROUND_SCAN_MS: env
      .int(60_000, 100, HOUR)
      .describe('how often the background watch looks in the ledger for batches to watch (and at start-up)'),
  },
  (v): HealthSettings => ({
    policy: {
      stallAfterMs: v.HEALTH_STALL_AFTER_MS,
      windowMs: v.HEALTH_WINDOW_MS,
      slowFraction: v.HEALTH_SLOW_FRACTION,
      minSamples: v.HEALTH_MIN_SAMPLES,
      recoverReadings: v.HEALTH_RECOVER_READINGS,
    },
    backgroundMax: v.WATCH_BACKGROUND_MAX,
    backgroundScanMs: v.WATCH_BACKGROUND_SCAN_MS,
  }),
  {
    title: 'Batch health and background watching',
    says:
      'How batchql judges whether a running batch moves ([live-progress.md](live-progress.md#batch-health)), and ' +
      'the batches it keeps reading with nobody connected ([live-progress.md](live-progress.md#background-watching)).',
  },
);
