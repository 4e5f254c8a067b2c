import type { GatewayRedis } from '../redis/connection.js';

/**
 * Webhook event ids already taken, so a replayed event has no effect. With Redis every replica
 * shares them (`SET NX PX`); without, one process keeps them in memory, bounded and expiring.
 */
export interface SeenEvents {
  /** True when `id` is new (and is now taken); false when it was seen within the TTL. Rejects when Redis fails. */
  claim(id: string): Promise<boolean>;
  /** Gives an id back (its processing failed before any effect), so a redelivery is processed. */
  release(id: string): Promise<void>;
  close(): Promise<void>;
}

/** Options of the seen-id store. */
export interface SeenEventsOptions {
  /** How long an id is remembered: longer than the signature tolerance on both sides of now. */
  ttlMs: number;
  /** Shared through the gateway's Redis (`redis/connection.ts`, keys under its `keyPrefix`); in memory without it. */
  redis?: GatewayRedis | undefined;
  /** Most ids kept in memory; the oldest go first when full. @default 10000 */
  maxEntries?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Creates the store: on the gateway's Redis when `redis` is given, else in memory. */
export function createSeenEvents(o: SeenEventsOptions): SeenEvents {
  return o.redis ? redisSeenEvents(o.redis, o) : memorySeenEvents(o);
}

function memorySeenEvents(o: SeenEventsOptions): SeenEvents {
  const max = o.maxEntries ?? 10_000;
  const now = o.now ?? Date.now;
  /** id to expiry, in insertion order (so the oldest is first). */
  const seen = new Map<string, number>();
  return {
    async claim(id) {
      const at = now();
      for (const [key, expires] of seen) {
        if (expires > at) break;
        seen.delete(key);
      }
      const expires = seen.get(id);
      if (expires !== undefined && expires > at) return false;
      seen.delete(id);
      if (seen.size >= max) seen.delete(seen.keys().next().value as string);
      seen.set(id, at + o.ttlMs);
      return true;
    },
    async release(id) {
      seen.delete(id);
    },
    async close() {
      seen.clear();
    },
  };
}

function redisSeenEvents(connection: GatewayRedis, o: SeenEventsOptions): SeenEvents {
  // The connection has no offline queue, so an outage fails fast (the caller answers 503).
  const { commands: redis, keyPrefix } = connection;
  const key = (id: string) => `${keyPrefix}webhook-seen:${id}`;
  /** Runs a command; a failure is reported to the connection's health and rethrown (the caller refuses). */
  const command = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      await connection.ready();
      return await run();
    } catch (error) {
      connection.failed('webhook-seen', error);
      throw error;
    }
  };
  return {
    async claim(id) {
      return (await command(() => redis.set(key(id), '1', 'PX', o.ttlMs, 'NX'))) === 'OK';
    },
    async release(id) {
      await command(() => redis.del(key(id)));
    },
    // The connection is the gateway's: nothing of its own to close.
    async close() {},
  };
}
