import { env, fragment } from '../config/settings.js';

/** Settings of outbound webhooks (docs/notifications.md). */
export interface NotificationSettings {
  /** `auto`: on with one replica or with PostgreSQL; `on`: refuses several replicas on the embedded store. */
  mode: 'auto' | 'on' | 'off';
  /** Hosts that may be reached over `http` and at private addresses (tests, the demo's loopback receiver). */
  allowedHosts: string[];
  /** The waits after each failed attempt: its length is the number of retries. */
  retryScheduleMs: number[];
  /** How long an old secret keeps signing after `rotateWebhookSecret`. */
  secretOverlapMs: number;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  /** Sends at once, on this replica, in all and per endpoint. */
  concurrency: number;
  concurrencyPerEndpoint: number;
  /** Failed attempts in a row that pause an endpoint, and for how long. */
  circuitFailures: number;
  circuitPauseMs: number;
  /** How often a replica looks for due deliveries when nothing woke it. */
  pollMs: number;
  /** A claimed delivery not recorded within this (its replica died) is due again. */
  leaseMs: number;
  /** Events whose deliveries all ended are kept this many days (0: for ever). */
  retentionDays: number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** The longest a retry schedule may run, first attempt to last: a day. */
const MAX_SCHEDULE_MS = 86_400_000;

/** Parses `5s,5m,30m,2h` (milliseconds, seconds, minutes, hours) into milliseconds, or says why not. */
function parseSchedule(raw: string): number[] | string {
  const parts = raw.split(',').map((p) => p.trim());
  const out: number[] = [];
  for (const part of parts) {
    const match = /^(\d+)(ms|s|m|h)$/.exec(part);
    if (!match) return `"${part}" is not a duration such as 500ms, 5s, 5m or 2h`;
    out.push(Number(match[1]) * UNITS[match[2]!]!);
  }
  if (out.length > 30) return 'at most 30 retries';
  if (out.reduce((a, b) => a + b, 0) > MAX_SCHEDULE_MS) return 'the retries must end within 24 h';
  return out;
}

/** `WEBHOOK_*`: outbound webhooks. */
export const notificationSettings = fragment(
  {
    NOTIFICATIONS: env
      .oneOf(['auto', 'on', 'off'] as const, 'auto')
      .describe(
        'outbound webhooks ([notifications.md](notifications.md)), which need the ledger: `auto` turns them on with ' +
          'one replica or with `DATABASE_URL` (off, with a start-up line, for several replicas on the embedded ' +
          'store); `on` refuses to start several replicas (`REDIS_URL`) without `DATABASE_URL`; `off`',
      ),
    WEBHOOK_ALLOWED_HOSTS: env
      .text('')
      .meta({ fallback: '— (none)' })
      .describe(
        'comma-separated host names or addresses that endpoints may reach over plain `http` and at loopback or ' +
          'private addresses (a receiver on the same machine: tests and the demo). Every other endpoint must be ' +
          '`https` at a public address, checked at creation and again before each delivery',
      ),
    WEBHOOK_RETRY_SCHEDULE: env
      .custom((value, refuse) => {
        const parsed = parseSchedule(value ?? '5s,5m,30m,2h,5h,10h');
        return typeof parsed === 'string' ? refuse(parsed) : parsed;
      })
      .meta({ fallback: '`5s,5m,30m,2h,5h,10h`', allowed: 'durations (`500ms`, `5s`, `5m`, `2h`), within 24 h' })
      .describe(
        'the wait after each failed attempt (±10 % jitter; a longer `Retry-After` wins): 7 attempts over about ' +
          '18 h by default; when they run out the delivery is `FAILED` (`redeliverWebhook` sends it again)',
      ),
    WEBHOOK_SECRET_OVERLAP_MS: env
      .int(86_400_000, 0, 24 * 86_400_000)
      .describe('after `rotateWebhookSecret`, messages are signed with the old and the new secret for this long'),
    WEBHOOK_CONNECT_TIMEOUT_MS: env.int(5_000, 100, 60_000).describe('connecting to an endpoint gives up after this'),
    WEBHOOK_RESPONSE_TIMEOUT_MS: env
      .int(10_000, 100, 120_000)
      .describe("an endpoint's answer (headers and the first KiB of its body) must come within this"),
    WEBHOOK_CONCURRENCY: env.int(32, 1, 1_000).describe('deliveries one replica sends at once, in all'),
    WEBHOOK_CONCURRENCY_PER_ENDPOINT: env
      .int(8, 1, 1_000)
      .describe('deliveries one replica sends at once to one endpoint (a slow endpoint delays no other)'),
    WEBHOOK_CIRCUIT_FAILURES: env
      .int(10, 1, 10_000)
      .describe('failed attempts in a row that pause an endpoint (`WebhookEndpoint.state` `PAUSED`)'),
    WEBHOOK_CIRCUIT_PAUSE_MS: env
      .int(300_000, 100, 86_400_000)
      .describe("a paused endpoint's deliveries wait this long; then one probe is sent, and a success resumes it"),
    WEBHOOK_POLL_MS: env
      .int(1_000, 10, 60_000)
      .describe(
        'how often a replica looks for due deliveries (retries, and events written by other replicas); its own ' +
          'events wake it at once',
      ),
    WEBHOOK_LEASE_MS: env
      .int(60_000, 500, 3_600_000)
      .describe('a delivery claimed by a replica that died is sent by another after this'),
    WEBHOOK_RETENTION_DAYS: env
      .int(30, 0, 36_500)
      .describe(
        'events whose deliveries all ended are pruned after this many days, with their attempts; `0` keeps them',
      ),
  },
  (v): NotificationSettings => ({
    mode: v.NOTIFICATIONS,
    allowedHosts: v.WEBHOOK_ALLOWED_HOSTS.split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== ''),
    retryScheduleMs: v.WEBHOOK_RETRY_SCHEDULE,
    secretOverlapMs: v.WEBHOOK_SECRET_OVERLAP_MS,
    connectTimeoutMs: v.WEBHOOK_CONNECT_TIMEOUT_MS,
    responseTimeoutMs: v.WEBHOOK_RESPONSE_TIMEOUT_MS,
    concurrency: v.WEBHOOK_CONCURRENCY,
    concurrencyPerEndpoint: v.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
    circuitFailures: v.WEBHOOK_CIRCUIT_FAILURES,
    circuitPauseMs: v.WEBHOOK_CIRCUIT_PAUSE_MS,
    pollMs: v.WEBHOOK_POLL_MS,
    leaseMs: v.WEBHOOK_LEASE_MS,
    retentionDays: v.WEBHOOK_RETENTION_DAYS,
  }),
  {
    title: 'Notifications',
    says:
      'Signed outbound webhooks for batch events ([notifications.md](notifications.md)); endpoints are managed ' +
      'through GraphQL by callers with the operator scope.',
  },
);

/** The next attempt after failed attempt number `attempt` (1-based), or undefined when the schedule ran out. */
export function nextAttemptAt(
  schedule: readonly number[],
  attempt: number,
  now: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  const wait = schedule[attempt - 1];
  if (wait === undefined) return undefined;
  const jittered = wait * (0.9 + 0.2 * random());
  // A `Retry-After` longer than the schedule's wait is honoured, within the schedule's day.
  const floor = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, MAX_SCHEDULE_MS);
  return now + Math.round(Math.max(jittered, floor));
}
