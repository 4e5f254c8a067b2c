import type { IdempotencyStore, IdempotencyStoreOptions } from './idempotency-store.js';
import { memoryKeyStore } from './memory-keys.js';
import { redisKeyStore } from './redis-keys.js';

/** Creates the idempotency store: on the gateway's Redis when `redis` is given, else in memory. */
export function createIdempotencyStore(o: IdempotencyStoreOptions): IdempotencyStore {
  return o.redis ? redisKeyStore(o.redis, o) : memoryKeyStore(o);
}
