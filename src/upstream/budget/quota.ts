import type { ProviderName } from '../../domain/batch.js';
import { ErrorCode, GatewayError } from '../../domain/errors.js';
import type { RateWindow } from './rate-limit.js';
import type { TrafficClass } from '../call-context.js';

/** How a provider's request budget is shared between interactive and background traffic. */
export interface QuotaOptions {
  /** Fraction of every window kept for interactive calls (background may use the rest). */
  interactiveShare: number;
  /** How long an interactive call may wait for budget before PROVIDER_RATE_LIMITED. */
  waitMs: number;
  /** The longest a 429's Retry-After pauses background calls (the poll policy's error maximum). */
  pauseCapMs: number;
  /**
   * The most of the interactive part one client may take while other clients wait for it
   * (`UPSTREAM_CLIENT_SHARE`; 1: no fairness); alone, a client may use all of it.
   */
  clientShare: number;
  now?: () => number;
}

/** What the provider last said about its own window (`X-RateLimit-*`). */
interface Reported {
  limit: number;
  remaining: number;
  resetAt: number;
  /** Our sent count when it was reported: calls since then are taken from `remaining`. */
  sentAt: number;
}

interface Waiter {
  kind: TrafficClass;
  /** The client of an interactive call (`CallContext.client`). */
  client: string | undefined;
  grant(): void;
  reject(error: unknown): void;
}

/**
 * Window capacity from outside this process (`shared-budget.ts`: blocks of a budget shared by all
 * replicas through Redis). While one is set, a call needs its capacity beside the local checks.
 */
export interface SharedCapacity {
  /**
   * Milliseconds until a call of `kind` has capacity (0: now), or `undefined` while capacity is
   * on its way (a block is being fetched): the quota is then woken by `wake()` when it lands.
   */
  readyIn(kind: TrafficClass): number | undefined;
  /** A call of `kind` goes out: it uses its capacity. */
  spend(kind: TrafficClass): void;
}

/** A snapshot for metrics and tests. */
export interface QuotaStats {
  sent: number;
  waiting: { interactive: number; background: number };
  refused: number;
  /** Remaining calls the provider last reported, counted down by our calls since; null without headers. */
  reportedRemaining: number | null;
}

/**
 * One provider's request budget, for every upstream call this process makes to it: a sliding log
 * per documented window (so no window of that length ever holds more than its limit), corrected
 * by the provider's own `X-RateLimit-*` headers so traffic from outside the gateway counts too;
 * a 429's Retry-After pauses background calls. Interactive calls come first and own `interactiveShare` of
 * every window; background calls (polling) keep the rest, however long they wait for it. Within the
 * interactive part, a client may take at most `clientShare` of it while other clients wait; alone, it may
 * take all of it (work-conserving).
 */
export class ProviderQuota {
  private readonly log: number[] = [];
  /** Whether each call of `log` was interactive (the same positions). */
  private readonly interactiveLog: boolean[] = [];
  /** The client of each call of `log` (interactive calls; the same positions). */
  private readonly clientLog: (string | undefined)[] = [];
  private sentTotal = 0;
  private refusedTotal = 0;
  private reported: Reported | undefined;
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly longest: number;
  /** The windows enforced here: the documented ones, or this replica's share of them (`useLimits`). */
  private limits: readonly RateWindow[];
  private shared: SharedCapacity | undefined;
  /** Background pacing: a token bucket filled at the background share's rate, so polls spread evenly. */
  private pace: { perMs: number; burst: number } | undefined;
  private paceTokens = 0;
  private paceAt = 0;

  constructor(
    readonly provider: ProviderName,
    readonly windows: readonly RateWindow[],
    private readonly options: QuotaOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.longest = Math.max(0, ...windows.map((w) => w.windowMs));
    this.limits = windows;
    this.setPace(true);
  }

  /**
   * Enforces `limits` (the same windows with other limits: a replica's share of the documented
   * ones while the shared budget is unreachable) instead of the current ones; `windows` again
   * restores the documented budget. Calls already sent count against the new limits.
   */
  useLimits(limits: readonly RateWindow[]): void {
    this.limits = limits;
    this.setPace(false);
    this.pump();
  }

  /** Takes window capacity from `shared` too (undefined: from this process's windows alone). */
  useShared(shared: SharedCapacity | undefined): void {
    this.shared = shared;
    this.pump();
  }

  /** Looks at the waiting calls again (shared capacity has arrived). */
  wake(): void {
    this.pump();
  }

  /** The slowest window sets the pace: its background capacity spread over its length. */
  private setPace(fill: boolean): void {
    const share = this.options.interactiveShare;
    const rates = this.limits.map((w) => Math.max(1, Math.floor(w.limit * (1 - share))) / w.windowMs);
    if (rates.length === 0) return;
    const perMs = Math.min(...rates);
    const window = this.limits[rates.indexOf(perMs)]!;
    const burst = Math.max(1, Math.ceil(perMs * window.windowMs * 0.1));
    if (!fill) this.refill(this.now());
    this.pace = { perMs, burst };
    this.paceTokens = fill ? burst : Math.min(this.paceTokens, burst);
    this.paceAt = this.now();
  }

  /** True when this budget limits anything (a provider with `none` has no windows and no waits). */
  get limited(): boolean {
    return this.windows.length > 0 || this.reported !== undefined || this.pausedUntil > this.now();
  }

  /**
   * Resolves when a call of `kind` may go out (and counts it). An interactive call that cannot be
   * served within `waitMs` fails with PROVIDER_RATE_LIMITED and `retryAfterMs`; a background call
   * waits until budget frees up or `signal` aborts.
   */
  take(kind: TrafficClass, signal?: AbortSignal, client?: string): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryTake(kind, client)) return Promise.resolve();
    if (kind === 'interactive') {
      const wait = this.readyIn(kind, client);
      if (wait > this.options.waitMs) return Promise.reject(this.refusal(wait));
    }
    return new Promise<void>((resolve, reject) => {
      let deadline: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        kind,
        client,
        grant: () => {
          cleanup();
          resolve();
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const onAbort = () => {
        this.remove(waiter);
        waiter.reject(signal?.reason);
      };
      const cleanup = () => {
        if (deadline) clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (kind === 'interactive')
        deadline = setTimeout(() => {
          this.remove(waiter);
          waiter.reject(this.refusal(Math.max(1, this.readyIn(kind, client))));
        }, this.options.waitMs);
      // Interactive waiters go ahead of every other waiter, first reads ahead of polls; arrival order within each.
      const rank = (k: TrafficClass) => (k === 'interactive' ? 0 : k === 'first-read' ? 1 : 2);
      const at = this.queue.findIndex((w) => rank(w.kind) > rank(kind));
      if (at < 0) this.queue.push(waiter);
      else this.queue.splice(at, 0, waiter);
      this.pump();
    });
  }

  /**
   * Background calls per millisecond this budget allows in the long run (Infinity without a limit):
   * what the poll scheduler spreads over its watched batches.
   */
  pollRate(): number {
    return this.pace ? this.pace.perMs : Number.POSITIVE_INFINITY;
  }

  /** Takes budget for one call now if there is any (and nobody waits ahead); no promise on the hot path. */
  tryTake(kind: TrafficClass, client?: string): boolean {
    if (this.queue.length > 0 || this.readyIn(kind, client) > 0 || this.sharedPending(kind)) return false;
    this.record(kind, client);
    return true;
  }

  /**
   * The most interactive calls one request could get within `withinMs` (a request's deadline): the
   * interactive part of each window, as often as the window turns over; Infinity without windows. A
   * request whose worst case is over it cannot fit in any client's share (`upstream-cost.ts`).
   */
  interactiveCapacity(withinMs: number): number {
    let most = Number.POSITIVE_INFINITY;
    for (const w of this.windows) {
      const part = Math.max(1, Math.floor(w.limit * this.options.interactiveShare));
      most = Math.min(most, part * (1 + Math.floor(withinMs / w.windowMs)));
    }
    return most;
  }

  /**
   * Gives back the budget of a call that was never sent (it joined an identical call in flight).
   * Shared capacity is not given back: the block it came from may belong to an ended sub-window.
   */
  refund(): void {
    if (this.sentTotal === 0) return;
    this.sentTotal--;
    if (this.log.length > 0) {
      this.log.pop();
      this.interactiveLog.pop();
      this.clientLog.pop();
    }
    this.pump();
  }

  /** Takes in what the provider said: its `X-RateLimit-*` headers, and a 429's Retry-After. */
  observe(status: number, headers: Record<string, string | string[] | undefined>, retryAfterMs?: number): void {
    const limit = headerNumber(headers['x-ratelimit-limit']);
    const remaining = headerNumber(headers['x-ratelimit-remaining']);
    const t = this.now();
    const reset = resetTime(headers['x-ratelimit-reset'], t);
    if (limit !== undefined && remaining !== undefined && reset !== undefined) {
      // However the reset is written (or misread), the wait it implies ends within the provider's longest
      // window, as a 429's is capped: a call then goes out, and its answer replaces this reading (the
      // newest answer always does: a fresh Remaining above 0 or another reset corrects it at once).
      const resetAt = Math.min(reset, t + this.resetCapMs());
      this.reported = { limit, remaining, resetAt, sentAt: this.sentTotal };
    }
    if (status === 429) {
      const pause = Math.min(Math.max(retryAfterMs ?? 1_000, 100), this.options.pauseCapMs);
      const until = this.now() + pause;
      this.pausedUntil = Math.max(this.pausedUntil, until);
    }
    this.pump();
  }

  /**
   * Until when (ms since the epoch) the provider's own answers hold its calls back, or undefined: its
   * `X-RateLimit-Remaining` (less our calls since) is spent until its `X-RateLimit-Reset` (every call
   * waits), or a 429's Retry-After holds polling back. Within `observe`'s caps of the answer.
   */
  pausedByProvider(): number | undefined {
    const t = this.now();
    let until = this.pausedUntil;
    const remaining = this.reportedRemaining();
    if (remaining !== null && remaining <= 0 && this.reported) until = Math.max(until, this.reported.resetAt);
    return until > t ? until : undefined;
  }

  /** The longest a reported reset may hold calls back: the provider's longest window, or 60 s without one. */
  private resetCapMs(): number {
    return this.longest > 0 ? this.longest : DEFAULT_RESET_CAP_MS;
  }

  stats(): QuotaStats {
    const interactive = this.queue.filter((w) => w.kind === 'interactive').length;
    return {
      sent: this.sentTotal,
      waiting: { interactive, background: this.queue.length - interactive },
      refused: this.refusedTotal,
      reportedRemaining: this.reportedRemaining(),
    };
  }

  /** Rejects every waiter (shutdown). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.queue.splice(0)) w.reject(new Error('quota closed'));
  }

  private record(kind: TrafficClass = 'interactive', client?: string): void {
    const t = this.now();
    this.sentTotal++;
    this.shared?.spend(kind);
    if (kind === 'background' && this.pace) {
      this.refill(t);
      this.paceTokens -= 1;
    }
    if (this.longest > 0) {
      this.log.push(t);
      this.interactiveLog.push(kind === 'interactive');
      this.clientLog.push(kind === 'interactive' ? client : undefined);
      // Keep only what the longest window can still see.
      let drop = 0;
      while (drop < this.log.length && this.log[drop]! <= t - this.longest) drop++;
      if (drop > 0) {
        this.log.splice(0, drop);
        this.interactiveLog.splice(0, drop);
        this.clientLog.splice(0, drop);
      }
    }
  }

  private refill(t: number): void {
    if (!this.pace) return;
    this.paceTokens = Math.min(this.pace.burst, this.paceTokens + (t - this.paceAt) * this.pace.perMs);
    this.paceAt = t;
  }

  private reportedRemaining(): number | null {
    const r = this.reported;
    if (!r) return null;
    if (this.now() >= r.resetAt) {
      this.reported = undefined;
      return null;
    }
    return r.remaining - (this.sentTotal - r.sentAt);
  }

  /** Milliseconds until a call of `kind` (for `client`) may go out (0: now). */
  private readyIn(kind: TrafficClass, client?: string): number {
    const t = this.now();
    // A 429's Retry-After holds back polling only: an interactive call still goes out and, if the
    // provider refuses it too, its client gets the provider's own retryAfterMs.
    let wait = kind === 'interactive' ? 0 : Math.max(0, this.pausedUntil - t);
    if (kind === 'background' && this.pace) {
      this.refill(t);
      if (this.paceTokens < 1) wait = Math.max(wait, (1 - this.paceTokens) / this.pace.perMs);
    }
    const interactive = kind === 'interactive';
    const share = this.options.interactiveShare;
    // A client's share (`clientShare` of the interactive part) binds only while another client waits.
    const clientShare = this.options.clientShare;
    const fair = interactive && client !== undefined && clientShare < 1;
    for (const w of this.limits) {
      // Each part counts only its own calls: queries spending theirs never shrink the polls' part, and
      // polls never take the queries' part, whatever either does.
      const part = Math.max(1, Math.floor(w.limit * (interactive ? share : 1 - share)));
      wait = Math.max(
        wait,
        this.untilBelow(t, w.windowMs, part, (i) => this.interactiveLog[i] === interactive),
      );
      if (fair) {
        // Over its share, a client yields to any waiting client under its own, and leaves `NEWCOMER_RESERVE`
        // of the part free for a client yet to come (so a newcomer finds some at once, however big the burst
        // before it); when every waiting client is over its share too, they go in turn down to that reserve.
        const mine = Math.max(1, Math.floor(part * clientShare));
        const over = this.untilBelow(t, w.windowMs, mine, (i) => this.clientLog[i] === client);
        if (over > 0) {
          if (this.someoneUnder(client!, t, w.windowMs, mine)) wait = Math.max(wait, over);
          const reserve = Math.min(mine, Math.max(1, Math.ceil(part * NEWCOMER_RESERVE)));
          const open = Math.max(1, part - reserve);
          wait = Math.max(
            wait,
            this.untilBelow(t, w.windowMs, open, (i) => this.interactiveLog[i] === true),
          );
        }
      }
      // And never past the window's limit, whoever spent it.
      const all = this.log.length - w.limit;
      if (all >= 0 && this.log[all]! > t - w.windowMs) wait = Math.max(wait, this.log[all]! + w.windowMs - t);
    }
    const remaining = this.reportedRemaining();
    if (remaining !== null && this.reported) {
      // What queries have not used of their share yet stays free for them; what they used is theirs.
      const reserve =
        kind === 'interactive'
          ? 0
          : Math.max(0, Math.floor(this.reported.limit * this.options.interactiveShare) - this.interactiveIn(t));
      if (remaining <= reserve) wait = Math.max(wait, this.reported.resetAt - t);
    }
    return Math.max(wait, this.shared?.readyIn(kind) ?? 0);
  }

  /**
   * Milliseconds until fewer than `capacity` calls that `counts` are inside the window of `windowMs`
   * (0: already): when the oldest of the newest `capacity` such calls leaves it.
   */
  private untilBelow(t: number, windowMs: number, capacity: number, counts: (i: number) => boolean): number {
    let inWindow = 0;
    for (let i = this.log.length - 1; i >= 0 && this.log[i]! > t - windowMs; i--) {
      if (!counts(i)) continue;
      if (++inWindow === capacity) return this.log[i]! + windowMs - t;
    }
    return 0;
  }

  /** True when a client other than `client` waits for budget with fewer than `share` calls in the window. */
  private someoneUnder(client: string, t: number, windowMs: number, share: number): boolean {
    const seen = new Set<string>([client]);
    for (const w of this.queue) {
      if (w.kind !== 'interactive' || w.client === undefined || seen.has(w.client)) continue;
      seen.add(w.client);
      const other = w.client;
      if (this.untilBelow(t, windowMs, share, (i) => this.clientLog[i] === other) === 0) return true;
    }
    return false;
  }

  /** Interactive calls inside the longest window. */
  private interactiveIn(t: number): number {
    let n = 0;
    for (let i = this.log.length - 1; i >= 0 && this.log[i]! > t - this.longest; i--) if (this.interactiveLog[i]) n++;
    return n;
  }

  /** True while the shared capacity a call of `kind` needs is on its way (`SharedCapacity.readyIn`). */
  private sharedPending(kind: TrafficClass): boolean {
    return this.shared !== undefined && this.shared.readyIn(kind) === undefined;
  }

  private remove(waiter: Waiter): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private refusal(waitMs: number): GatewayError {
    this.refusedTotal++;
    return new GatewayError(
      ErrorCode.PROVIDER_RATE_LIMITED,
      `${this.provider}'s request budget is spent for now; retry in ${Math.ceil(waitMs / 1000)} s`,
      { provider: this.provider, retryAfterMs: Math.ceil(waitMs) },
    );
  }

  /**
   * Grants waiting calls in priority order while budget allows, skipping a waiter that may not go yet
   * (a client over its share while others wait, polls out of pace) for the next that may; otherwise
   * wakes up when the soonest frees.
   */
  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let soonest = Number.POSITIVE_INFINITY;
    // Passes until one grants nothing: a grant may end another client's wait (a client over its share
    // may go once nobody else waits). Within a pass, waiters of one kind and client wait alike, and a
    // grant only uses budget, so one found waiting stays so.
    for (let granted = true; granted;) {
      granted = false;
      soonest = Number.POSITIVE_INFINITY;
      const waiting = new Set<string>();
      for (let i = 0; i < this.queue.length;) {
        const waiter = this.queue[i]!;
        const key = `${waiter.kind}\u0000${waiter.client ?? ''}`;
        if (waiting.has(key)) {
          i++;
          continue;
        }
        const wait = this.readyIn(waiter.kind, waiter.client);
        // Shared capacity on its way wakes the queue when it lands (`wake`).
        if (wait > 0 || this.sharedPending(waiter.kind)) {
          if (wait > 0) soonest = Math.min(soonest, wait);
          waiting.add(key);
          i++;
          continue;
        }
        this.queue.splice(i, 1);
        this.record(waiter.kind, waiter.client);
        waiter.grant();
        granted = true;
      }
    }
    if (soonest < Number.POSITIVE_INFINITY) {
      this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(soonest)));
      this.timer.unref?.();
    }
  }
}

/** How far a reported reset may be for a provider without configured windows (`resetCapMs`). */
const DEFAULT_RESET_CAP_MS = 60_000;

/**
 * When `X-RateLimit-Reset` says the window resets (ms since the epoch; undefined when absent or
 * unreadable). Providers write it as Unix seconds, as seconds from now (a number up to 1e9), as an
 * HTTP date, or as Unix milliseconds: a large number is read in whichever unit puts it nearer `now`
 * (Unix ms read as seconds lie tens of thousands of years ahead; Unix seconds read as ms, in 1970).
 */
function resetTime(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  const n = headerNumber(text);
  if (n === undefined) {
    // An HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`); a bare sign or symbol is no date.
    if (!/[a-z]/i.test(text)) return undefined;
    const date = Date.parse(text);
    return Number.isNaN(date) ? undefined : date;
  }
  if (n <= 1e9) return now + n * 1000;
  return Math.abs(n - now) < Math.abs(n * 1000 - now) ? n : n * 1000;
}

/**
 * The part of the interactive part a client over its share leaves free for clients yet to come (at most one
 * share): 18 %, so a lone client may still use 82 % of it (11 of 60 a minute stay free on a plan of 200 calls a
 * minute).
 */
const NEWCOMER_RESERVE = 0.18;

function headerNumber(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(text)) return undefined;
  return Number(text);
}
