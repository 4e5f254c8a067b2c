import { borrow, env, fragment } from '../config/settings.js';
import { LOG_LEVELS, type LogLevel } from '../observability/logging.js';
import { upstreamSettings } from '../upstream/limits.js';
import { writeAttemptWindowMs } from '../writes/settings.js';

/** The process's own settings: where it listens, how it stops, what it logs, whom it trusts. */
export interface ServerSettings {
  port: number;
  /** How long a shutdown (SIGTERM, SIGINT) waits for in-flight queries before destroying their connections (ms). */
  shutdownTimeoutMs: number;
  /**
   * On SIGTERM, how long `/ready` answers 503 while everything (new connections included) is still served,
   * before the drain (`SHUTDOWN_DELAY_MS`); not part of `shutdownTimeoutMs`. SIGINT has none.
   */
  shutdownDelayMs: number;
  logLevel: LogLevel;
  /**
   * Each log line written to stdout before the call returns (`LOG_SYNC`); by default lines are written
   * asynchronously, coalesced under load.
   */
  logSync: boolean;
  /** Proxy hops in front of the gateway whose `X-Forwarded-For` entries are trusted (0: none). */
  trustProxy: number;
}

/**
 * `PORT`, `SHUTDOWN_TIMEOUT_MS`, `SHUTDOWN_DELAY_MS`, `LOG_LEVEL`, `LOG_SYNC` and `TRUST_PROXY` (off by default;
 * a hop count, `true` meaning one hop). Its own module, so the image's healthcheck and the demo read `PORT` from
 * here, without the rest of the gateway. Its rules warn about a shutdown shorter than what it may cut off, read from
 * `upstreamSettings`' own readers.
 */
export const serverSettings = fragment(
  {
    PORT: env.int(4000, 0, 65535).describe('HTTP port of `/graphql` (GraphiQL on GET) and `/health`'),
    SHUTDOWN_TIMEOUT_MS: env
      .int(25_000, 0, 3_600_000)
      .describe(
        'time in-flight queries get after SIGTERM/SIGINT, counted from the end of `SHUTDOWN_DELAY_MS` ' +
          '([operations.md](operations.md#what-a-shutdown-does))',
      ),
    SHUTDOWN_DELAY_MS: env
      .int(5_000, 0, 600_000)
      .describe(
        'on SIGTERM, how long `/ready` answers 503 while everything, new connections included, is still served, so ' +
          'load balancers and Kubernetes endpoints stop sending before the drain begins; it comes before and ' +
          'outside `SHUTDOWN_TIMEOUT_MS` (a stop takes up to both); SIGINT (Ctrl+C) skips it ' +
          '([operations.md](operations.md#what-a-shutdown-does))',
      ),
    TRUST_PROXY: env
      .custom((raw, refuse) => {
        const word = raw?.toLowerCase();
        if (word === undefined || ['false', 'off', 'no'].includes(word)) return 0;
        if (['true', 'on', 'yes'].includes(word)) return 1;
        if (!/^\d+$/.test(word) || Number(word) > 20) return refuse(`must be an integer from 0 to 20, got "${word}"`);
        return Number(word);
      })
      .meta({ fallback: 'off', allowed: '0–20 hops; `true` is 1, `false` is 0' })
      .describe(
        'proxy hops in front of the gateway whose `X-Forwarded-For` entries are trusted when a client is ' +
          'identified by address ([security.md](security.md#who-a-client-is))',
      ),
    LOG_LEVEL: env
      .oneOf(LOG_LEVELS, 'info')
      .describe(
        'JSON lines (pino). Errors are logged as type, code, provider, upstream status and the ' +
          "gateway's own (client-safe) message; messages of unexpected errors and stacks only at `debug`; " +
          'credentials are redacted',
      ),
    LOG_SYNC: env
      .bool(false)
      .describe(
        '`true` writes each log line before the call returns (nothing queued is lost on a hard kill, at a few ' +
          "percent of CPU under load); by default lines are queued and written asynchronously (pino's default), " +
          'lines queued meanwhile in one write, and flushed at exit',
      ),
  },
  (v): ServerSettings => ({
    port: v.PORT,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    shutdownDelayMs: v.SHUTDOWN_DELAY_MS,
    logLevel: v.LOG_LEVEL,
    logSync: v.LOG_SYNC,
    trustProxy: v.TRUST_PROXY,
  }),
  {
    title: 'Server',
    uses: borrow(upstreamSettings, 'REQUEST_DEADLINE_MS', 'UPSTREAM_BUDGET_WAIT_MS', 'UPSTREAM_DEADLINE_MS'),
    rules: [
      {
        says:
          'A `SHUTDOWN_TIMEOUT_MS` shorter than `REQUEST_DEADLINE_MS` is a start-up warning: a shutdown may destroy ' +
          'the connection of a query still within its deadline, which then gets no answer. `SHUTDOWN_DELAY_MS` ' +
          'does not count: the timeout starts after it, so the orchestrator must wait for both (plus a few seconds).',
        check: (v, _fail, warn) => {
          const deadlineMs = v.REQUEST_DEADLINE_MS;
          if (deadlineMs !== undefined && v.SHUTDOWN_TIMEOUT_MS < deadlineMs)
            warn(
              `SHUTDOWN_TIMEOUT_MS (${v.SHUTDOWN_TIMEOUT_MS} ms) is shorter than ` +
                `REQUEST_DEADLINE_MS (${deadlineMs} ms): ` +
                'a shutdown may destroy the connection of a query still within its deadline, which then gets no answer',
            );
        },
      },
      {
        says:
          'A `SHUTDOWN_TIMEOUT_MS` shorter than a write can take (`UPSTREAM_BUDGET_WAIT_MS` + `UPSTREAM_DEADLINE_MS` ' +
          '+ 1 s) is a start-up warning: a shutdown may cut a write off, and its idempotency key then answers ' +
          '`OUTCOME_UNKNOWN` until a retry finds the batch ([writes.md](writes.md#shutdown-and-dead-replicas)).',
        check: (v, _fail, warn) => {
          const budgetWaitMs = v.UPSTREAM_BUDGET_WAIT_MS;
          const deadlineMs = v.UPSTREAM_DEADLINE_MS;
          if (budgetWaitMs === undefined || deadlineMs === undefined) return;
          // The drain skips read-backs not begun, so a write must fit in the shutdown.
          const writeMs = writeAttemptWindowMs({ budgetWaitMs, deadlineMs });
          if (writeMs > v.SHUTDOWN_TIMEOUT_MS)
            warn(
              `SHUTDOWN_TIMEOUT_MS (${v.SHUTDOWN_TIMEOUT_MS} ms) is shorter than a write can take (${writeMs} ms: ` +
                'UPSTREAM_BUDGET_WAIT_MS + UPSTREAM_DEADLINE_MS + 1 s): a shutdown may cut a write off, and its ' +
                'idempotency key then answers OUTCOME_UNKNOWN until a retry finds the batch ' +
                '(docs/writes.md, "Shutdown and dead replicas")',
            );
        },
      },
    ],
  },
);
