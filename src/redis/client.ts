import { Redis } from 'ioredis';

/**
 * An ioredis client as the gateway's stores use it (the webhook ids, the idempotency keys): no
 * offline queue and short timeouts, so an outage fails a command fast and the caller decides
 * (refuse, or fall back); it reconnects on its own. `ready()` connects on first use.
 */
export interface StoreRedis {
  redis: Redis;
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Creates a lazily connecting client for `url` (`REDIS_URL`). */
export function createStoreRedis(url: string): StoreRedis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
  });
  // Reported by the caller per request; the client reconnects on its own.
  redis.on('error', () => {});
  let connecting: Promise<void> | undefined;
  return {
    redis,
    ready() {
      if (redis.status === 'ready') return Promise.resolve();
      if (redis.status === 'wait') connecting ??= redis.connect().finally(() => (connecting = undefined));
      return connecting ?? Promise.resolve();
    },
    async close() {
      await redis.quit().catch(() => {});
      redis.disconnect();
    },
  };
}
