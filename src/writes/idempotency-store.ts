import { ErrorCode, GatewayError } from '../domain/errors.js';
import { createStoreRedis } from '../redis-client.js';

/** How long a key is remembered (the 24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** What a finished write left under its key: its answer (JSON-safe), replayed as is. */
export type StoredOutcome = { kind: 'result'; value: unknown } | { kind: 'error'; code: string; message: string };

/** What `begin` decided for a call. */
export type Begin =
  /** The key is this call's now: run the write, then `finish` (or `abandon`). */
  | { kind: 'run' }
  /** A call with the same key and input finished: answer its outcome. */
  | { kind: 'replay'; outcome: StoredOutcome }
  /** The key was used with other input. */
  | { kind: 'conflict' };

/**
 * The gateway's idempotency keys: one key per client, tenant and client-chosen key, remembered for
 * 24 hours with a fingerprint of the input and, once finished, the write's outcome. A call that
 * finds its key in flight waits for it (up to `waitMs`).
 */
export interface IdempotencyStore {
  begin(key: string, fingerprint: string): Promise<Begin>;
  /** Stores the outcome of the call that began `key`. */
  finish(key: string, fingerprint: string, outcome: StoredOutcome): Promise<void>;
  /** Frees `key` (the write was not sent, or failed in a way a retry may repeat). */
  abandon(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Options of the store. */
export interface IdempotencyStoreOptions {
  /** Shared by every replica (Redis); in memory without it. */
  redisUrl?: string | undefined;
  /** Prefix of the Redis keys (`REDIS_KEY_PREFIX`). */
  prefix: string;
  /**
   * How long a call waits for another in flight under its key, and how long a key stays claimed
   * by a call that never finishes (a crashed replica). @default 60000
   */
  waitMs?: number;
  /** @default IDEMPOTENCY_TTL_MS */
  ttlMs?: number;
  /** Most keys kept in memory; the oldest go first. @default 100000 */
  maxEntries?: number;
}

/** Creates the store: on Redis when `redisUrl` is given, else in memory. */
export function createIdempotencyStore(o: IdempotencyStoreOptions): IdempotencyStore {
  return o.redisUrl ? redisStore(o.redisUrl, o) : memoryStore(o);
}

const stillRunning = (waitMs: number) =>
  new GatewayError(
    ErrorCode.OUTCOME_UNKNOWN,
    `a call with this idempotencyKey has been running for over ${waitMs} ms; its outcome is not known yet`,
  );

interface MemoryEntry {
  fingerprint: string;
  expires: number;
  outcome?: StoredOutcome;
  /** Resolves when the call that holds the key finishes or abandons it. */
  settled?: Promise<void>;
  settle?: () => void;
}

function memoryStore(o: IdempotencyStoreOptions): IdempotencyStore {
  const ttl = o.ttlMs ?? IDEMPOTENCY_TTL_MS;
  const max = o.maxEntries ?? 100_000;
  const waitMs = o.waitMs ?? 60_000;
  const entries = new Map<string, MemoryEntry>();
  const sweep = (now: number) => {
    for (const [key, entry] of entries) {
      if (entry.expires > now) break;
      entries.delete(key);
    }
  };
  return {
    async begin(key, fingerprint) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        sweep(Date.now());
        const entry = entries.get(key);
        if (!entry) {
          if (entries.size >= max) entries.delete(entries.keys().next().value as string);
          let settle!: () => void;
          const settled = new Promise<void>((resolve) => (settle = resolve));
          entries.set(key, { fingerprint, expires: Date.now() + ttl, settled, settle });
          return { kind: 'run' };
        }
        if (entry.fingerprint !== fingerprint) return { kind: 'conflict' };
        if (entry.outcome) return { kind: 'replay', outcome: entry.outcome };
        const left = deadline - Date.now();
        if (left <= 0) throw stillRunning(waitMs);
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([entry.settled, new Promise((r) => (timer = setTimeout(r, left)))]);
        clearTimeout(timer);
      }
    },
    async finish(key, fingerprint, outcome) {
      const entry = entries.get(key);
      entries.delete(key);
      entries.set(key, { fingerprint, expires: Date.now() + ttl, outcome });
      entry?.settle?.();
    },
    async abandon(key) {
      const entry = entries.get(key);
      entries.delete(key);
      entry?.settle?.();
    },
    async close() {
      entries.clear();
    },
  };
}

/** A key's record in Redis. */
interface RedisRecord {
  fingerprint: string;
  outcome?: StoredOutcome;
}

const unavailable = (cause: unknown) =>
  new GatewayError(
    ErrorCode.IDEMPOTENCY_STORE_UNAVAILABLE,
    'the idempotency store (Redis) is unreachable: a write with an idempotencyKey is refused rather than risk a ' +
      'double submit; retry later, or send it without a key',
    { cause },
  );

function redisStore(url: string, o: IdempotencyStoreOptions): IdempotencyStore {
  const ttl = o.ttlMs ?? IDEMPOTENCY_TTL_MS;
  const waitMs = o.waitMs ?? 60_000;
  const store = createStoreRedis(url);
  const { redis } = store;
  const name = (key: string) => `${o.prefix}idempotency:${key}`;
  /** Runs Redis commands; any failure is the store being unavailable. */
  const command = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      await store.ready();
      return await run();
    } catch (error) {
      throw unavailable(error);
    }
  };
  return {
    async begin(key, fingerprint) {
      const deadline = Date.now() + waitMs;
      const pending = JSON.stringify({ fingerprint } satisfies RedisRecord);
      for (;;) {
        // A claim lasts as long as a call may wait for it: a replica that dies mid-write frees its keys.
        const claimed = await command(() => redis.set(name(key), pending, 'PX', waitMs, 'NX'));
        if (claimed === 'OK') return { kind: 'run' };
        const text = await command(() => redis.get(name(key)));
        if (text !== null) {
          const record = JSON.parse(text) as RedisRecord;
          if (record.fingerprint !== fingerprint) return { kind: 'conflict' };
          if (record.outcome) return { kind: 'replay', outcome: record.outcome };
        }
        if (Date.now() > deadline) throw stillRunning(waitMs);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async finish(key, fingerprint, outcome) {
      const record = JSON.stringify({ fingerprint, outcome } satisfies RedisRecord);
      await command(() => redis.set(name(key), record, 'PX', ttl));
    },
    async abandon(key) {
      await command(() => redis.del(name(key)));
    },
    close: () => store.close(),
  };
}
