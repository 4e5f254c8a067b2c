import { env, fragment } from '../config/settings.js';

/** The prefix of every Redis key and channel when `REDIS_KEY_PREFIX` is unset: written here only. */
const DEFAULT_KEY_PREFIX = 'batchql:';

/** Where the gateway's Redis is, and how its keys are named. */
export interface RedisSettings {
  /**
   * `redis://…` or `rediss://…`: replicas share poll loops and events, each provider's request budget, the
   * client rate limit, idempotency keys and webhook ids; without it, everything is in this process's memory.
   */
  url?: string;
  /** Prefix of every Redis key and channel, so deployments can share one Redis. */
  keyPrefix: string;
}

/** `REDIS_URL` and `REDIS_KEY_PREFIX`: the one Redis connection's settings (`connection.ts`). */
export const redisSettings = fragment(
  {
    REDIS_URL: env
      .text(undefined, (url) => (/^rediss?:\/\//.test(url) ? undefined : 'must start with redis:// or rediss://'))
      .describe(
        "`redis://…` or `rediss://…`: replicas share poll loops and events, each provider's request budget, the " +
          "client rate limit, the writes' idempotency keys and the webhook event ids, over two connections per " +
          'replica ([live-progress.md](live-progress.md#several-replicas)); unset, all of it stays in this process',
      ),
    REDIS_KEY_PREFIX: env
      .text(DEFAULT_KEY_PREFIX)
      .describe('prefix of every Redis key and channel, so deployments can share one Redis'),
  },
  (v): RedisSettings => ({ keyPrefix: v.REDIS_KEY_PREFIX, ...(v.REDIS_URL ? { url: v.REDIS_URL } : {}) }),
  { title: 'Redis', says: 'Where the replicas meet: one Redis for every shared state, reached over two connections.' },
);
