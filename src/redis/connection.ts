import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where the Redis connection reports its health; `health.ts` turns it into log lines and the
 * `batchql_coordinator_*` metrics, once for every user.
 */
export interface RedisHealth {
  /** A Redis operation failed: `connection` (a connection error), or a user's (`lease`, `budget`, `idempotency`, …). */
  failed(operation: string, error: unknown): void;
  /** Redis became reachable (true) or unreachable (false). */
  up(reachable: boolean): void;
}

/**
 * The gateway's one Redis: two connections per replica, shared by every user (the live coordinator, the
 * shared upstream budget, the client rate limiter, the idempotency keys and the webhook ids). Users
 * never create a client, close it or listen to its connection events: they run commands on `commands`,
 * the coordinator subscribes on `subscriber`, and each keeps its own fallback for a Redis that is away.
 * The composition root (`runtime.ts`) creates it once when `REDIS_URL` is set and closes it last.
 */
export interface GatewayRedis {
  /** Every command of every user. */
  readonly commands: Redis;
  /** Pub/sub only (the live coordinator): a subscribed ioredis connection can run no other command. */
  readonly subscriber: Redis;
  /** `REDIS_KEY_PREFIX`: every user's keys and channels start with it. */
  readonly keyPrefix: string;
  /** The connections' names on the server (`CLIENT LIST`): `batchql/<instance>/commands` and `…/subscriber`. */
  readonly names: { readonly commands: string; readonly subscriber: string };
  /** True while the commands connection is ready. */
  readonly reachable: boolean;
  /** Told every change of `reachable` (after the health reporter); returns the function that stops it. */
  onReachable(listener: (reachable: boolean) => void): () => void;
  /** Reports a user's failed operation to the health reporter (counted by `operation`). */
  failed(operation: string, error: unknown): void;
  /**
   * Connects both connections (start-up); rejects, and gives up on both, when Redis cannot be reached.
   * Once connected they reconnect forever on their own.
   */
  connect(): Promise<void>;
  /**
   * Resolves once the commands connection is up when it was never connected (it connects on first use);
   * at once otherwise, so a command fails fast while Redis is away.
   */
  ready(): Promise<void>;
  /** Closes both connections: after every user has closed. */
  close(): Promise<void>;
}

/** What the connection needs besides the settings. */
export interface GatewayRedisOptions {
  /** `REDIS_URL`. */
  url: string;
  /** `REDIS_KEY_PREFIX`. */
  keyPrefix: string;
  /** `INSTANCE_ID`: named in the connections' client names, so `CLIENT LIST` tells replicas apart. */
  instanceId: string;
  /** @default nothing reported */
  health?: RedisHealth;
}

/**
 * One option set for both connections and every user. Each user falls back when Redis is away (the
 * coordinator to a local lease, the budget to this replica's share, the rate limiter to its in-memory
 * insurance limiter, the stores to a typed refusal), so a command must fail fast rather than wait:
 * - `enableOfflineQueue: false`: while a connection is down a command is rejected at once instead of being
 *   queued until Redis is back (a queued lease, budget block or rate-limit check would hold its caller for the
 *   whole outage); `maxRetriesPerRequest: 1`: a command caught by a dropped connection fails after one
 *   reconnection attempt instead of waiting for Redis.
 * - `commandTimeout: 1000`: a Redis that accepts connections but does not answer (hung, or a partition that
 *   leaves the TCP connection open) fails each command after 1 s. One connection has one timeout; the four
 *   clients it replaces had 500 ms (rate limiter, budget) and 2 s (coordinator, stores). A second bounds what a
 *   hung Redis costs an inbound operation (its rate-limit check) or an upstream call (a budget block) and keeps
 *   a poll loop moving, while a busy but healthy Redis, or a busy event loop here (a timer can fire before the
 *   reply already in the socket is read), has room before a command counts as failed: a spurious failure is not
 *   free (a keyed write is refused, a replica polls a batch another one polls too).
 * - `connectTimeout: 2000` and a retry every 100 ms more, at most every second, forever: the connections come
 *   back on their own after any outage.
 * - `lazyConnect`: nothing connects before start-up calls `connect` (or a test's first command).
 * - `autoResubscribe: false`: the coordinator subscribes its channels again itself when the subscriber is ready
 *   (it knows which are still wanted).
 * The subscriber has its own connection only because a subscribed connection cannot run commands; the
 * commands of every user share the other one, in order (Redis runs them one at a time anyway).
 */
const REDIS_OPTIONS: Readonly<RedisOptions> = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  autoResubscribe: false,
  connectTimeout: 2_000,
  commandTimeout: 1_000,
  retryStrategy: (times) => Math.min(100 * times, 1_000),
};

/** A client name Redis accepts (`CLIENT SETNAME`: no spaces, printable ASCII). */
function clientName(instanceId: string, role: string): string {
  return `batchql/${instanceId.replace(/[^!-~]/g, '_')}/${role}`;
}

/** Creates the two connections, not yet connected (`connect`). */
export function createGatewayRedis(o: GatewayRedisOptions): GatewayRedis {
  const health = o.health;
  const names = { commands: clientName(o.instanceId, 'commands'), subscriber: clientName(o.instanceId, 'subscriber') };
  const commands = new Redis(o.url, { ...REDIS_OPTIONS, connectionName: names.commands });
  const subscriber = new Redis(o.url, { ...REDIS_OPTIONS, connectionName: names.subscriber });
  const listeners = new Set<(reachable: boolean) => void>();
  let reachable = false;
  let closed = false;
  const set = (now: boolean) => {
    if (now === reachable || closed) return;
    reachable = now;
    health?.up(now);
    for (const listener of [...listeners]) listener(now);
  };
  // Handled, so ioredis never prints an unhandled error event; counted and logged by the health reporter.
  const connectionError = (error: unknown) => !closed && health?.failed('connection', error);
  commands.on('error', connectionError);
  subscriber.on('error', connectionError);
  commands.on('ready', () => set(true));
  commands.on('close', () => set(false));

  let connecting: Promise<void> | undefined;
  const ready = (): Promise<void> => {
    if (commands.status === 'ready') return Promise.resolve();
    if (commands.status === 'wait') connecting ??= commands.connect().finally(() => (connecting = undefined));
    return connecting ?? Promise.resolve();
  };
  return {
    commands,
    subscriber,
    keyPrefix: o.keyPrefix,
    names,
    get reachable() {
      return reachable;
    },
    onReachable(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    failed: (operation, error) => health?.failed(operation, error),
    async connect() {
      try {
        await Promise.all([ready(), subscriber.status === 'wait' ? subscriber.connect() : undefined]);
      } catch (error) {
        commands.disconnect();
        subscriber.disconnect();
        throw error;
      }
    },
    ready,
    async close() {
      // A shutdown is no outage: nothing is reported from here on.
      closed = true;
      listeners.clear();
      // A connection never made is not made now (a command on a lazy client would connect it).
      const quit = (client: Redis) => (client.status === 'ready' ? client.quit().catch(() => undefined) : undefined);
      await Promise.all([quit(commands), quit(subscriber)]);
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
