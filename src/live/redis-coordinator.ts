import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { parseHubEvent, type Coordinator, type HubEvent } from './coordinator.js';

/** Options of the Redis coordinator. */
export interface RedisCoordinatorOptions {
  url: string;
  instanceId: string;
  /** How long a poll lease lasts without renewal. @default 5000 */
  leaseMs?: number;
  /** Key prefix, so several deployments can share one Redis. @default "batchql:" */
  prefix?: string;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Last states outlive a quiet batch long enough for late joiners, not forever. */
const STATE_TTL_MS = 10 * 60_000;

/**
 * Several gateway processes share poll loops through Redis: events travel over Redis pub/sub
 * (yoga's pub/sub on @graphql-yoga/redis-event-target), the last state of each key is kept for
 * late joiners, and `SET NX PX` leases (renewed and released by owner-checked scripts) make
 * exactly one process poll each key.
 */
export async function createRedisCoordinator(o: RedisCoordinatorOptions): Promise<Coordinator> {
  const prefix = o.prefix ?? 'batchql:';
  const leaseMs = o.leaseMs ?? 5_000;
  const redisOptions = { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true } as const;
  const publishClient = new Redis(o.url, redisOptions);
  const subscribeClient = new Redis(o.url, redisOptions);
  const commands = new Redis(o.url, redisOptions);
  for (const client of [publishClient, subscribeClient, commands]) client.on('error', () => {});
  await Promise.all([publishClient.connect(), subscribeClient.connect(), commands.connect()]);
  const pubSub = createPubSub<Record<string, [string]>>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
  const topic = (key: string) => `${prefix}live:${key}`;

  return {
    instanceId: o.instanceId,
    leaseMs,
    listen(key, onEvent) {
      let stopped = false;
      let stream: ReturnType<typeof pubSub.subscribe> | undefined;
      void (async () => {
        // Resubscribes if the stream ends without being stopped; a bad message is skipped, not fatal.
        while (!stopped) {
          stream = pubSub.subscribe(topic(key));
          try {
            for await (const text of stream) {
              let event: HubEvent;
              try {
                event = parseHubEvent(text);
              } catch {
                continue;
              }
              onEvent(event);
            }
          } catch {
            // the connection dropped; subscribe again below
          }
          if (!stopped) await new Promise((r) => setTimeout(r, 200));
        }
      })();
      return () => {
        stopped = true;
        void stream?.return?.(undefined);
      };
    },
    async publish(key, event: HubEvent) {
      const text = JSON.stringify(event);
      if (event.kind === 'state') await commands.set(`${prefix}state:${key}`, text, 'PX', STATE_TTL_MS);
      else await commands.del(`${prefix}state:${key}`);
      pubSub.publish(topic(key), text);
    },
    async keepAlive(key) {
      await commands.pexpire(`${prefix}state:${key}`, STATE_TTL_MS);
    },
    async lastEvent(key) {
      const text = await commands.get(`${prefix}state:${key}`);
      return text ? parseHubEvent(text) : undefined;
    },
    async acquire(key) {
      const lease = `${prefix}lease:${key}`;
      if ((await commands.set(lease, o.instanceId, 'PX', leaseMs, 'NX')) === 'OK') return true;
      return (await commands.eval(RENEW, 1, lease, o.instanceId, String(leaseMs))) === 1;
    },
    async release(key) {
      await commands.eval(RELEASE, 1, `${prefix}lease:${key}`, o.instanceId);
    },
    async close() {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit(), commands.quit()]);
    },
  };
}
