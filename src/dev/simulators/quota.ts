/**
 * A fixed window of `windowMs`, aligned to the clock (a minute window runs from :00.000 to
 * :59.999), that admits at most `limit` requests. A refused request uses none of the quota. The
 * window starts over when the clock reaches its end, or moves back before its start (tests set
 * their manual clock back between cases).
 */
export class FixedWindow {
  private start = Number.NaN;
  private used = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`a quota limit must be an integer >= 0: ${limit}`);
    if (!Number.isInteger(windowMs) || windowMs < 1)
      throw new RangeError(`a quota window must be >= 1 ms: ${windowMs}`);
  }

  private roll(now: number): void {
    if (!(now >= this.start && now < this.start + this.windowMs)) {
      this.start = Math.floor(now / this.windowMs) * this.windowMs;
      this.used = 0;
    }
  }

  /** True when there is room for one more request at `now`; it does not count it (see `take`). */
  hasRoom(now: number): boolean {
    this.roll(now);
    return this.used < this.limit;
  }

  /** Counts one admitted request at `now` (call after `hasRoom` said yes). */
  take(now: number): void {
    this.roll(now);
    this.used++;
  }

  /** Requests still admitted in the window of `now`. */
  remaining(now: number): number {
    this.roll(now);
    return Math.max(0, this.limit - this.used);
  }

  /** When the window of `now` ends (epoch ms, a multiple of `windowMs`). */
  resetAt(now: number): number {
    this.roll(now);
    return this.start + this.windowMs;
  }

  /** Whole seconds from `now` until the window ends, at least 1 (a `Retry-After` value). */
  retryAfterSeconds(now: number): number {
    return Math.max(1, Math.ceil((this.resetAt(now) - now) / 1000));
  }
}
