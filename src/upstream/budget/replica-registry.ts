import type { Redis } from 'ioredis';

/** How often a replica says it is alive. */
const REPLICA_BEAT_MS = 2_000;
/** Beats a replica may miss before the others count it as gone. */
const REPLICA_MISSED_BEATS = 3;

/**
 * One beat, on Redis's own clock (so replicas need no synchronised clocks): this replica's score
 * is now, members older than the stale age are dropped, and the count of the rest is returned.
 * The set expires when no replica beats any more.
 */
const BEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return redis.call('ZCARD', KEYS[1])
`;

/** Options of `ReplicaRegistry`. */
export interface ReplicaRegistryOptions {
  redis: Redis;
  /** The sorted set of replicas (`${REDIS_KEY_PREFIX}replicas`). */
  key: string;
  /** This replica's member name (`INSTANCE_ID`). */
  instanceId: string;
  /** @default REPLICA_BEAT_MS */
  beatMs?: number;
  /** Told the outcome of every beat: the live replica count, or the error. */
  onBeat?: (outcome: { ok: true; replicas: number } | { ok: false; error: unknown }) => void;
}

/**
 * The replicas that share one Redis, each registered in a sorted set with the time of its last
 * beat as score; a member that missed `REPLICA_MISSED_BEATS` beats counts as gone. `replicas` is
 * the count the last successful beat saw (this replica included), kept while Redis is unreachable.
 */
export class ReplicaRegistry {
  private last = 1;
  private timer: NodeJS.Timeout | undefined;
  private readonly beatMs: number;

  constructor(private readonly o: ReplicaRegistryOptions) {
    this.beatMs = o.beatMs ?? REPLICA_BEAT_MS;
  }

  /** Replicas alive at the last successful beat, at least 1. */
  get replicas(): number {
    return this.last;
  }

  /** Beats now and then every `beatMs`, each outcome told to `onBeat`; never rejects. */
  async start(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.beat(), this.beatMs);
      this.timer.unref();
    }
    await this.beat();
  }

  /** One beat, its outcome told to `onBeat`; never rejects. */
  async beat(): Promise<void> {
    try {
      const replicas = await this.beatOnce();
      this.o.onBeat?.({ ok: true, replicas });
    } catch (error) {
      this.o.onBeat?.({ ok: false, error });
    }
  }

  /** Stops beating and leaves the set, so the others stop counting this replica at once. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.o.redis.zrem(this.o.key, this.o.instanceId).catch(() => undefined);
  }

  private async beatOnce(): Promise<number> {
    const stale = this.beatMs * REPLICA_MISSED_BEATS;
    const count = Number(await this.o.redis.eval(BEAT, 1, this.o.key, this.o.instanceId, String(stale)));
    this.last = Math.max(1, count);
    return this.last;
  }
}
