import type { GatewayRedis } from '../redis/connection.js';
import { parseHubEvent, type BatchSettled, type Coordinator, type HubEvent } from './coordinator.js';

/** Options of the Redis coordinator. */
export interface RedisCoordinatorOptions {
  /** The gateway's Redis (`redis/connection.ts`): its keys and channels start with its `keyPrefix`. */
  redis: GatewayRedis;
  instanceId: string;
  /** How long a poll lease lasts without renewal (`LIVE_LEASE_MS`). */
  leaseMs: number;
}

const RENEW =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) " + 'else return 0 end';
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Last states outlive a quiet batch long enough for late joiners, not forever. */
const STATE_TTL_MS = 10 * 60_000;

/** What travels on a channel: the event and who published it (a process skips its own, delivered locally). */
interface Envelope {
  from: string;
  event: HubEvent;
}

/**
 * Several gateway processes share poll loops through Redis (ioredis): events travel over Redis
 * pub/sub, the last state of each key is kept for late joiners, and `SET NX PX` leases (renewed
 * and released by owner-checked scripts) make exactly one process poll each key.
 *
 * Redis may go away at any time. Every command is awaited and its failure reported to the
 * connection's health reporter (never left unhandled); commands fail at once while Redis is
 * unreachable (the connection has no offline queue, `redis/connection.ts`), so callers fall back
 * instead of waiting; the connections reconnect forever, and the subscriber subscribes this
 * coordinator's channels again when it is back. The poll hub treats a failed lease call as "poll it
 * yourself" (a local lease), so subscribers on a cut-off replica keep getting states.
 */
export function createRedisCoordinator(o: RedisCoordinatorOptions): Coordinator {
  const { commands, subscriber, keyPrefix: prefix } = o.redis;
  const { leaseMs } = o;
  const report = (operation: string, error: unknown) => o.redis.failed(operation, error);
  const channels = new Map<string, Set<(event: HubEvent) => void>>();
  const topic = (key: string) => `${prefix}live:${key}`;
  const keyOf = new Map<string, string>();
  /** One channel for settled batches (verified webhooks), whatever keys each process watches them under. */
  const broadcastTopic = `${prefix}live-broadcast`;
  const settledListeners = new Set<(message: BatchSettled) => void>();

  // Back after an outage: subscribe every channel with listeners again.
  const onReady = () => {
    const wanted = [...channels.keys(), ...(settledListeners.size > 0 ? [broadcastTopic] : [])];
    if (wanted.length === 0) return;
    subscriber.subscribe(...wanted).catch((error: unknown) => report('subscribe', error));
  };
  const onMessage = (channel: string, text: string) => {
    if (channel === broadcastTopic) return settled(text);
    const listeners = channels.get(channel);
    if (!listeners) return;
    let envelope: Envelope;
    try {
      envelope = parseHubEvent(text) as unknown as Envelope;
    } catch {
      report('message', new Error(`unreadable message on ${keyOf.get(channel) ?? channel}`));
      return;
    }
    if (envelope.from === o.instanceId || !envelope.event) return;
    for (const listener of [...listeners]) listener(envelope.event);
  };
  subscriber.on('ready', onReady);
  subscriber.on('message', onMessage);

  function settled(text: string): void {
    let envelope: { from?: string; settled?: BatchSettled };
    try {
      envelope = parseHubEvent(text) as unknown as typeof envelope;
    } catch {
      report('message', new Error('unreadable message on the broadcast channel'));
      return;
    }
    const message = envelope.settled;
    if (envelope.from === o.instanceId || !message?.batch) return;
    for (const listener of [...settledListeners]) listener(message);
  }

  /** Runs a command; a failure is reported and rethrown for the caller to fall back. */
  const run = async <T>(operation: string, command: () => Promise<T>): Promise<T> => {
    try {
      return await command();
    } catch (error) {
      report(operation, error);
      throw error;
    }
  };

  return {
    instanceId: o.instanceId,
    shared: true,
    leaseMs,
    healthy: () => o.redis.reachable,
    listen(key, onEvent) {
      const channel = topic(key);
      let listeners = channels.get(channel);
      if (!listeners) {
        channels.set(channel, (listeners = new Set()));
        keyOf.set(channel, key);
        // While Redis is down this fails; the 'ready' handler subscribes again when it is back.
        subscriber.subscribe(channel).catch((error: unknown) => report('subscribe', error));
      }
      listeners.add(onEvent);
      return () => {
        const set = channels.get(channel);
        if (!set) return;
        set.delete(onEvent);
        if (set.size > 0) return;
        channels.delete(channel);
        keyOf.delete(channel);
        subscriber.unsubscribe(channel).catch((error: unknown) => report('unsubscribe', error));
      };
    },
    async publish(key, event: HubEvent) {
      const text = JSON.stringify({ from: o.instanceId, event } satisfies Envelope);
      await run('publish', async () => {
        if (event.kind === 'state')
          await commands.set(`${prefix}state:${key}`, JSON.stringify(event), 'PX', STATE_TTL_MS);
        else await commands.del(`${prefix}state:${key}`);
        await commands.publish(topic(key), text);
      });
    },
    async broadcast(message) {
      const text = JSON.stringify({ from: o.instanceId, settled: message });
      await run('broadcast', () => commands.publish(broadcastTopic, text));
    },
    onBroadcast(listener) {
      if (settledListeners.size === 0)
        subscriber.subscribe(broadcastTopic).catch((error: unknown) => report('subscribe', error));
      settledListeners.add(listener);
      return () => {
        if (!settledListeners.delete(listener) || settledListeners.size > 0) return;
        subscriber.unsubscribe(broadcastTopic).catch((error: unknown) => report('unsubscribe', error));
      };
    },
    async keepAlive(key) {
      await run('keepAlive', () => commands.pexpire(`${prefix}state:${key}`, STATE_TTL_MS));
    },
    async lastEvent(key) {
      const text = await run('lastEvent', () => commands.get(`${prefix}state:${key}`));
      return text ? parseHubEvent(text) : undefined;
    },
    async acquire(key) {
      const lease = `${prefix}lease:${key}`;
      return run('lease', async () => {
        if ((await commands.set(lease, o.instanceId, 'PX', leaseMs, 'NX')) === 'OK') return true;
        return (await commands.eval(RENEW, 1, lease, o.instanceId, String(leaseMs))) === 1;
      });
    },
    async release(key) {
      await run('release', () => commands.eval(RELEASE, 1, `${prefix}lease:${key}`, o.instanceId));
    },
    async announce(unit, members, ttlMs) {
      if (members.length === 0) return;
      const until = Date.now() + ttlMs;
      const args = members.flatMap((m) => [until, m]);
      await run('announce', async () => {
        await commands.zadd(`${prefix}bulk:${unit}`, ...args);
        await commands.pexpire(`${prefix}bulk:${unit}`, ttlMs * 2);
      });
    },
    async withdraw(unit, members) {
      if (members.length === 0) return;
      await run('withdraw', () => commands.zrem(`${prefix}bulk:${unit}`, ...members));
    },
    async members(unit) {
      const set = `${prefix}bulk:${unit}`;
      return run('members', async () => {
        await commands.zremrangebyscore(set, '-inf', Date.now());
        return commands.zrange(set, 0, -1);
      });
    },
    async close() {
      // The connections are the gateway's (closed last by the runtime): this coordinator only lets its channels go.
      const wanted = [...channels.keys(), ...(settledListeners.size > 0 ? [broadcastTopic] : [])];
      channels.clear();
      keyOf.clear();
      settledListeners.clear();
      subscriber.off('ready', onReady);
      subscriber.off('message', onMessage);
      if (wanted.length > 0 && subscriber.status === 'ready')
        await subscriber.unsubscribe(...wanted).catch((error: unknown) => report('unsubscribe', error));
    },
  };
}
