import type { Logger } from 'pino';
import type { RedisHealth } from './connection.js';

/** The metrics the health reporter feeds (`observability/metrics.ts`: `batchql_coordinator_*`). */
export interface RedisHealthMetrics {
  /** A failed Redis operation, by operation. */
  redisError(operation: string): void;
  /** Whether this replica reaches Redis. */
  redisUp(reachable: boolean): void;
}

/** How often one operation's failures are logged at most (each is counted). */
const LOG_EVERY_MS = 30_000;

/**
 * The one place Redis health becomes logs and metrics, for every user of the connection: every failed
 * operation is counted by operation (`batchql_coordinator_errors_total{operation}`), and
 * `batchql_coordinator_up` says whether Redis is reachable. The log gets one warning when Redis goes
 * away, naming every user's fallback (then at most one line per operation every 30 s), and one line
 * when it is back, so an outage is visible without flooding the log.
 */
export function redisHealthReporter(
  logger: Pick<Logger, 'debug' | 'info' | 'warn'>,
  metrics: RedisHealthMetrics,
  /**
   * True once a shutdown has begun: Redis going away then (stopped with the gateway, as a compose file or a
   * pod stops both) is no outage, so it is counted but logged at debug only.
   */
  stopping: () => boolean = () => false,
): RedisHealth {
  const lastLogged = new Map<string, number>();
  let wasUp: boolean | undefined;
  return {
    failed(operation, error) {
      metrics.redisError(operation);
      if (stopping()) {
        logger.debug({ operation }, 'Redis operation failed during the shutdown');
        return;
      }
      const now = Date.now();
      if (now - (lastLogged.get(operation) ?? 0) < LOG_EVERY_MS) return;
      lastLogged.set(operation, now);
      const code =
        (error as { code?: string; name?: string } | null)?.code ?? (error as { name?: string } | null)?.name;
      logger.warn(
        { operation, code, reason: (error as Error | null)?.message?.slice(0, 120) },
        'Redis operation failed; its user falls back until Redis answers again',
      );
    },
    up(reachable) {
      metrics.redisUp(reachable);
      if (reachable && wasUp === false)
        logger.info(
          'Redis is reachable again: replicas converge to one poller per batch and share budgets and rate limits again',
        );
      if (!reachable && wasUp !== false && stopping()) logger.debug('Redis went away during the shutdown');
      else if (!reachable && wasUp !== false)
        logger.warn(
          'Redis is unreachable: until it is back, live streams on this replica are polled locally, each ' +
            "provider's budget keeps to this replica's share, client rate limits are counted per replica, and " +
            'writes with an idempotency key and provider webhooks are refused (503: sent again later)',
        );
      if (reachable) lastLogged.clear();
      wasUp = reachable;
    },
  };
}
