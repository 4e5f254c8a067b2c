import { pingRedis, startLocalRedis } from '../../src/dev/local-redis.js';

/** A real Redis for tests: `REDIS_TEST_URL` when CI started one, else a `redis-server` spawned here. */
export interface TestRedis {
  url: string;
  close(): Promise<void>;
}

/** Starts (or reuses) a Redis server; tests keep apart by key prefix. */
export async function startRedis(): Promise<TestRedis> {
  const given = process.env.REDIS_TEST_URL;
  if (given) {
    await pingRedis(given, 5_000);
    return { url: given, close: async () => {} };
  }
  const redis = await startLocalRedis();
  return { url: redis.url, close: () => redis.stop() };
}

export { startLocalRedis, type LocalRedis } from '../../src/dev/local-redis.js';
