import type { Logger } from 'pino';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { ProviderName } from '../../domain/batch.js';
import type { GatewayRedis } from '../../redis/connection.js';
import { ReplicaRegistry } from './replica-registry.js';
import type { ProviderQuota, SharedCapacity } from './quota.js';
import type { RateWindow } from './rate-limit.js';
import type { TrafficClass } from '../call-context.js';

/** Where a provider's window capacity comes from: blocks shared through Redis, or this replica's share. */
export type BudgetMode = 'shared' | 'local';

/**
 * How one documented window is shared. Redis counts in fixed sub-windows of whole seconds
 * (rate-limiter-flexible keys expire in seconds) that start at their first call, so they line up
 * with nothing the provider counts in. A span of the window's length touches at most
 * `ceil(windowMs / subWindowMs) + 1` sub-windows: each gets the limit divided by that many, so no
 * span of the window's length, wherever it starts, ever holds more than the limit.
 */
export interface SharedWindowPlan {
  windowMs: number;
  subWindowMs: number;
  /** Calls all replicas together may make in one sub-window. */
  points: number;
  /**
   * Those split in two counters: polling's (`1 - UPSTREAM_INTERACTIVE_SHARE` of them), which
   * interactive calls may use too, and the rest kept for interactive calls alone.
   */
  backgroundPoints: number;
  interactivePoints: number;
  /** Calls one replica reserves at a time from each (one Redis round trip per block, not per call). */
  backgroundBlock: number;
  interactiveBlock: number;
}

/** Sub-window splits tried per window (1 to 4 sub-windows of whole seconds); the one that allows most calls wins. */
const MAX_SPLITS = 4;

/** A block of `k` calls out of `points`: small beside the sub-window, so unused reserved calls waste little. */
export function blockSize(points: number): number {
  return Math.max(1, Math.min(10, Math.floor(points / 4)));
}

/** The sub-windows, limits and block sizes that share `window` (see `SharedWindowPlan`). */
export function planSharedWindow(window: RateWindow, interactiveShare: number): SharedWindowPlan {
  let best: { subWindowMs: number; points: number; rate: number } | undefined;
  for (let split = 1; split <= MAX_SPLITS; split++) {
    const subWindowMs = Math.max(1_000, Math.round(window.windowMs / split / 1_000) * 1_000);
    const touched = Math.ceil(window.windowMs / subWindowMs) + 1;
    const points = Math.floor(window.limit / touched);
    const rate = points / subWindowMs;
    if (!best || rate > best.rate) best = { subWindowMs, points, rate };
  }
  // A limit below 2 per window cannot be split this way; one call per sub-window is the least there is.
  const points = Math.max(1, best!.points);
  const backgroundPoints = Math.max(1, Math.floor(points * (1 - interactiveShare)));
  const interactivePoints = points - backgroundPoints;
  return {
    windowMs: window.windowMs,
    subWindowMs: best!.subWindowMs,
    points,
    backgroundPoints,
    interactivePoints,
    backgroundBlock: blockSize(backgroundPoints),
    interactiveBlock: blockSize(interactivePoints),
  };
}

/** Each window's limit divided by the replicas last seen (at least 1 call): a replica's share without Redis. */
export function localShare(windows: readonly RateWindow[], replicas: number): RateWindow[] {
  const n = Math.max(1, replicas);
  return windows.map((w) => ({ limit: Math.max(1, Math.floor(w.limit / n)), windowMs: w.windowMs }));
}

/**
 * How long a block may take to come from Redis before the pool counts it as a failure (and the budget falls back
 * to this replica's share): half of the default `UPSTREAM_BUDGET_WAIT_MS`, so an interactive call waiting for a
 * block that a slow or hung Redis holds back is served from the local share within its wait, not refused. The
 * connection's own command timeout is longer, for the other Redis users.
 */
const BLOCK_FETCH_TIMEOUT_MS = 500;

/** Calls reserved for this replica, usable until the sub-window they were counted in ends. */
interface Block {
  tokens: number;
  until: number;
}

/**
 * One shared counter (a sub-window limiter's key): blocks of calls reserved from Redis and spent
 * here, the next one fetched when the current one runs low.
 */
class BlockPool {
  private blocks: Block[] = [];
  private fetching = false;
  private exhaustedUntil = 0;
  private generation = 0;

  constructor(
    private readonly limiter: RateLimiterRedis,
    private readonly key: string,
    private readonly points: number,
    private readonly block: number,
    private readonly landed: () => void,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** 0: a call may go out; > 0: ms until the sub-window ends; undefined: no block yet. */
  state(t: number): number | undefined {
    if (this.available(t) > 0) return 0;
    if (this.exhaustedUntil > t) return this.exhaustedUntil - t;
    return undefined;
  }

  /** Spends one reserved call; fetches the next block when half of the current one is gone. */
  spend(t: number): void {
    this.available(t);
    const first = this.blocks[0];
    if (first) {
      first.tokens--;
      if (first.tokens <= 0) this.blocks.shift();
    }
    if (this.available(t) <= Math.floor(this.block / 2)) this.fetch();
  }

  /** Fetches a block unless one is on its way or the sub-window is spent. */
  fetch(): void {
    const started = Date.now();
    if (this.fetching || this.exhaustedUntil > started) return;
    this.fetching = true;
    const generation = this.generation;
    const grant = (tokens: number, msBeforeNext: number) => {
      if (tokens > 0 && msBeforeNext > 0) this.blocks.push({ tokens, until: started + msBeforeNext });
    };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the shared budget did not answer in time')), BLOCK_FETCH_TIMEOUT_MS);
    });
    // A block that lands after the timeout was counted in Redis but is not used here: the replicas spend less.
    Promise.race([this.limiter.consume(this.key, this.block), late])
      .then(
        (res) => generation === this.generation && grant(this.block, res.msBeforeNext),
        (outcome: unknown) => {
          if (generation !== this.generation) return;
          if (!(outcome instanceof RateLimiterRes)) return this.failed(outcome);
          // Refused: the sub-window had fewer than a block left. What was left before this request is ours.
          const left = this.points - (outcome.consumedPoints - this.block);
          grant(Math.min(left, this.block), outcome.msBeforeNext);
          this.exhaustedUntil = started + outcome.msBeforeNext;
        },
      )
      .finally(() => {
        clearTimeout(timer);
        if (generation !== this.generation) return;
        this.fetching = false;
        this.landed();
      });
  }

  /** Forgets every reserved call (the mode changed); a block still on its way is dropped when it lands. */
  reset(): void {
    this.generation++;
    this.blocks = [];
    this.fetching = false;
    this.exhaustedUntil = 0;
  }

  private available(t: number): number {
    // Reserved calls of an ended sub-window are gone with it.
    this.blocks = this.blocks.filter((b) => b.until > t && b.tokens > 0);
    return this.blocks.reduce((sum, b) => sum + b.tokens, 0);
  }
}

/** One window's two counters; a share of 0 has no interactive counter. */
interface WindowPools {
  background: BlockPool;
  interactive: BlockPool | undefined;
}

/** What one window says about a call: go, wait this long, or fetch this pool first. */
type WindowAnswer = { wait: number } | { fetch: BlockPool };

/**
 * One provider's shared capacity: a call takes one reserved call of every window. Polling (and a
 * stream's first read) takes from the window's background counter, an interactive call from the
 * interactive counter: each keeps its part of the window, whatever the other does (`quota.ts`).
 */
class ProviderShare implements SharedCapacity {
  constructor(private readonly pools: readonly WindowPools[]) {}

  readyIn(kind: TrafficClass): number | undefined {
    const t = Date.now();
    const answers = this.pools.map((p) => answer(p, kind, t));
    const wait = Math.max(0, ...answers.map((a) => ('wait' in a ? a.wait : 0)));
    if (wait > 0) return wait;
    const fetches = answers.flatMap((a) => ('fetch' in a ? [a.fetch] : []));
    if (fetches.length === 0) return 0;
    for (const pool of fetches) pool.fetch();
    return undefined;
  }

  spend(kind: TrafficClass): void {
    const t = Date.now();
    for (const p of this.pools) {
      const own = kind === 'interactive' && p.interactive !== undefined;
      (own ? p.interactive! : p.background).spend(t);
    }
  }

  reset(): void {
    for (const p of this.pools) {
      p.background.reset();
      p.interactive?.reset();
    }
  }
}

function answer(p: WindowPools, kind: TrafficClass, t: number): WindowAnswer {
  const background = p.background.state(t);
  if (kind !== 'interactive' || !p.interactive)
    return background === undefined ? { fetch: p.background } : { wait: background };
  const interactive = p.interactive.state(t);
  return interactive === undefined ? { fetch: p.interactive } : { wait: interactive };
}

/** Options of `SharedBudget`. */
export interface SharedBudgetOptions {
  /** The gateway's Redis (`redis/connection.ts`); keys are `${keyPrefix}budget:…` and `${keyPrefix}replicas`. */
  redis: GatewayRedis;
  /** `INSTANCE_ID`: this replica's name in the replica set. */
  instanceId: string;
  /** Heartbeat interval of the replica set. @default REPLICA_BEAT_MS */
  beatMs?: number;
  /** Told when the budget starts shared, falls back to local shares, and is shared again. */
  onMode?: (mode: BudgetMode, detail: { replicas: number; error?: unknown }) => void;
}

interface Attached {
  provider: ProviderName;
  quota: ProviderQuota;
  share: ProviderShare;
  longestMs: number;
  /** While set, the local share is still enforced after Redis came back (until one longest window has passed). */
  recovery?: NodeJS.Timeout;
}

/**
 * Every provider's request budget shared by all replicas on one Redis (`REDIS_URL`): each
 * window is counted by rate-limiter-flexible `RateLimiterRedis` sub-window limiters
 * (`SharedWindowPlan`), and each replica reserves small blocks of calls that its own
 * `ProviderQuota` spends, so Redis sees one round trip per block, not per call. The local quota
 * still orders the calls (interactive first, the interactive share, pacing, `X-RateLimit-*`,
 * 429 pauses).
 *
 * Replicas beat in a sorted set (`ReplicaRegistry`). When Redis is unreachable each replica
 * enforces its local share, each window's limit divided by the replicas it last saw, until a beat
 * succeeds again; for one longest window after that it keeps its share beside the shared blocks,
 * so calls made under the share and under fresh Redis counters never add up past the limit.
 */
export class SharedBudget {
  private readonly redis: GatewayRedis;
  private readonly registry: ReplicaRegistry;
  private readonly unwatch: () => void;
  private readonly attached: Attached[] = [];
  private current: BudgetMode | undefined;
  private closed = false;

  constructor(private readonly o: SharedBudgetOptions) {
    // The connection has no offline queue: a command fails at once while Redis is away, so the budget
    // falls back instead of holding calls.
    this.redis = o.redis;
    this.unwatch = o.redis.onReachable((reachable) => {
      if (!this.started) return;
      if (reachable) void this.registry.beat();
      else this.toLocal(new Error('Redis connection closed'));
    });
    this.registry = new ReplicaRegistry({
      redis: o.redis.commands,
      key: `${o.redis.keyPrefix}replicas`,
      instanceId: o.instanceId,
      ...(o.beatMs !== undefined ? { beatMs: o.beatMs } : {}),
      onBeat: (outcome) => (outcome.ok ? this.toShared() : this.failed(outcome.error)),
    });
  }

  private get started(): boolean {
    return this.current !== undefined && !this.closed;
  }

  /** The current mode (undefined before `start`). */
  get mode(): BudgetMode | undefined {
    return this.current;
  }

  /** Replicas alive at the last successful beat (at least 1). */
  get replicas(): number {
    return this.registry.replicas;
  }

  /** The providers whose budget is shared, for metrics. */
  get providers(): ProviderName[] {
    return this.attached.map((a) => a.provider);
  }

  /** Shares `quota`'s windows (a provider without windows has nothing to share). */
  attach(quota: ProviderQuota, interactiveShare: number): void {
    if (quota.windows.length === 0) return;
    const keyPrefix = `${this.redis.keyPrefix}budget`;
    const pools = quota.windows.map((w) => {
      const plan = planSharedWindow(w, interactiveShare);
      const pool = (kind: 'interactive' | 'background', points: number, block: number) =>
        new BlockPool(
          new RateLimiterRedis({
            storeClient: this.redis.commands,
            keyPrefix,
            points,
            duration: plan.subWindowMs / 1_000,
            rejectIfRedisNotReady: true,
          }),
          `${quota.provider}:${w.limit}/${w.windowMs}ms:${kind}`,
          points,
          block,
          () => quota.wake(),
          (error) => this.failed(error),
        );
      return {
        background: pool('background', plan.backgroundPoints, plan.backgroundBlock),
        interactive:
          plan.interactivePoints > 0 ? pool('interactive', plan.interactivePoints, plan.interactiveBlock) : undefined,
      };
    });
    const entry: Attached = {
      provider: quota.provider,
      quota,
      share: new ProviderShare(pools),
      longestMs: Math.max(...quota.windows.map((w) => w.windowMs)),
    };
    this.attached.push(entry);
    if (this.current === 'shared') quota.useShared(entry.share);
    if (this.current === 'local') quota.useLimits(localShare(quota.windows, this.replicas));
  }

  /**
   * Waits (at most the connect timeout) for Redis and beats once: shared when that works, else
   * the local share of one replica until a beat succeeds. Never rejects.
   */
  async start(): Promise<void> {
    const commands = this.redis.commands;
    if (commands.status !== 'ready')
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          commands.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, 2_000);
        commands.once('ready', done);
      });
    // The first beat's outcome sets the mode; beats go on, so a budget that starts local is shared once Redis answers.
    await this.registry.start();
  }

  /** Stops beating and leaves the replica set; the connection is the gateway's (closed after this). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
    for (const a of this.attached) if (a.recovery) clearTimeout(a.recovery);
    await this.registry.close();
  }

  /** A failed Redis command or beat: reported to the connection's health, and the budget falls back. */
  private failed(error: unknown): void {
    if (!this.closed) this.redis.failed('budget', error);
    this.toLocal(error);
  }

  private toShared(): void {
    if (this.current === 'shared' || this.closed) return;
    const wasLocal = this.current === 'local';
    this.current = 'shared';
    for (const a of this.attached) {
      a.share.reset();
      a.quota.useShared(a.share);
      if (!wasLocal) continue;
      // Fresh Redis counters know nothing of the calls made under the local share: keep the share
      // for one longest window, after which every call in any window's span took a shared block.
      if (a.recovery) clearTimeout(a.recovery);
      a.recovery = setTimeout(() => {
        a.recovery = undefined;
        if (this.current === 'shared') a.quota.useLimits(a.quota.windows);
      }, a.longestMs);
      a.recovery.unref();
    }
    this.o.onMode?.('shared', { replicas: this.replicas });
  }

  private toLocal(error: unknown): void {
    if (this.current === 'local' || this.closed) return;
    this.current = 'local';
    for (const a of this.attached) {
      if (a.recovery) clearTimeout(a.recovery);
      a.recovery = undefined;
      a.share.reset();
      a.quota.useShared(undefined);
      a.quota.useLimits(localShare(a.quota.windows, this.replicas));
    }
    this.o.onMode?.('local', { replicas: this.replicas, error });
  }
}

/** The log lines of the budget's mode: one when it starts, one when it falls back, one when it recovers. */
export function budgetModeLog(
  logger: Pick<Logger, 'debug' | 'info' | 'warn'>,
  /** True once a shutdown has begun: a Redis gone then is no outage (debug only). */
  stopping: () => boolean = () => false,
): NonNullable<SharedBudgetOptions['onMode']> {
  let last: BudgetMode | undefined;
  return (mode, { replicas, error }) => {
    if (mode === last) return;
    const first = last === undefined;
    last = mode;
    if (mode === 'local' && stopping())
      logger.debug({ replicas }, 'upstream budget: Redis went away during the shutdown');
    else if (mode === 'local')
      logger.warn(
        { replicas, reason: (error as Error | undefined)?.message?.slice(0, 120) },
        `upstream budget: Redis is unreachable; this replica keeps to its local share of each provider's ` +
          `limit (1/${replicas}, the replicas it last saw) until Redis is back`,
      );
    else if (first) logger.info({ replicas }, 'upstream budget: shared by the replicas through Redis');
    else logger.info({ replicas }, "upstream budget: Redis is reachable again; replicas share each provider's limit");
  };
}
