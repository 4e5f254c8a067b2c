import { ErrorCode, GatewayError } from '../domain/errors.js';

/**
 * Each client's share of this process's live capacity: the watched batches it holds (one slot
 * per watched id per stream, as `LIVE_MAX_SUBSCRIPTIONS` counts), by client identity
 * (`identity.ts`). Counted per replica.
 */
export class SubscriptionShares {
  private readonly held = new Map<string, number>();

  constructor(readonly maxPerClient: number) {}

  /** Reserves `slots` for `client`, or refuses naming the limit; returns the release function (idempotent). */
  admit(client: string, slots: number): () => void {
    const current = this.held.get(client) ?? 0;
    if (current + slots > this.maxPerClient) {
      throw new GatewayError(
        ErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `one client may watch at most ${this.maxPerClient} batches at once on this gateway ` +
          `(LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT); it holds ${current}`,
      );
    }
    this.held.set(client, current + slots);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(client) ?? slots) - slots;
      if (left > 0) this.held.set(client, left);
      else this.held.delete(client);
    };
  }

  /** Slots `client` holds. */
  of(client: string): number {
    return this.held.get(client) ?? 0;
  }
}
