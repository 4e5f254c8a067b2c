import type { IdempotencyStore, IdempotencyStoreOptions } from './idempotency-store.js';
import { memoryKeyStore } from './memory-keys.js';
import { redisKeyStore } from './redis-keys.js';

/** Creates the idempotency store: on Redis when `redisUrl` is given, else in memory. */
export function createIdempotencyStore(o: IdempotencyStoreOptions): IdempotencyStore {
  return o.redisUrl ? redisKeyStore(o.redisUrl, o) : memoryKeyStore(o);
}
