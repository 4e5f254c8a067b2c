/**
 * The composer of the upstream stack: builds one provider's `UpstreamHttp` and is on no call's path.
 * A call goes one way, down: the budget's call gate (`budget/gates.ts`), the policy (`policy.ts`:
 * deadline, breaker, retries, bulkhead), the budget's attempt gate, then the raw undici layer
 * (`raw.ts`). No layer imports this file or a layer above it; what the budget learns from each
 * response, the raw layer tells it through the `onResponse` callback handed to it here.
 */
import { protect } from './policy.js';
import type { UpstreamLimits } from './limits.js';
import type { CircuitObserver, UpstreamDropObserver, UpstreamHttp, UpstreamObserver } from './types.js';
import { createRawHttp, type RawHttpOptions } from './raw.js';
import { ProviderQuota } from './budget/quota.js';
import { budgetAttempts, budgetCalls } from './budget/gates.js';
import type { RateWindow } from './budget/rate-limit.js';
import type { SharedBudget } from './budget/shared-budget.js';

export { type UpstreamHttp } from './types.js';

/**
 * One provider's upstream client: its pool and limits (`raw.ts`), its policy and its request budget. Every limit
 * is required (`UpstreamLimits`, read by the configuration, the only place their defaults live).
 */
export interface UpstreamHttpOptions
  extends RawHttpOptions, Pick<UpstreamLimits, 'policy' | 'interactiveShare' | 'budgetWaitMs' | 'clientShare'> {
  /** Told the outcome and duration of every call (metrics). */
  observe?: UpstreamObserver;
  /** Told each transition of the circuit breaker (logs). */
  onCircuit?: CircuitObserver;
  /** Told each call dropped unsent because its callers left or its deadline passed first (metrics). */
  onDropped?: UpstreamDropObserver;
  /** The provider's quota windows: every attempt takes from this budget first (`quota.ts`); empty: none. */
  rateLimit: RateWindow[];
  /** The longest a 429's Retry-After pauses polling of this provider (`LIVE_POLL_ERROR_MAX_MS`). */
  pauseCapMs: number;
  /** The clock of the request budget (tests pass the simulators' clock). @default Date.now */
  now?: () => number;
  /** With Redis, the budget's window capacity is shared by all replicas (`shared-budget.ts`). */
  sharedBudget?: SharedBudget;
}

/** Composes one provider's stack: budget (call gate), policy, budget (attempt gate), raw undici. */
export function createUpstreamHttp(options: UpstreamHttpOptions): UpstreamHttp {
  const quota = new ProviderQuota(options.provider, options.rateLimit, {
    interactiveShare: options.interactiveShare,
    waitMs: options.budgetWaitMs,
    pauseCapMs: options.pauseCapMs,
    clientShare: options.clientShare,
    ...(options.now ? { now: options.now } : {}),
  });
  options.sharedBudget?.attach(quota, options.interactiveShare);
  const raw = createRawHttp({
    ...options,
    onResponse: (status, headers, retryAfterMs) => {
      quota.observe(status, headers, retryAfterMs);
      options.onResponse?.(status, headers, retryAfterMs);
    },
  });
  const protectedHttp = protect(
    options.provider,
    budgetAttempts(raw, quota),
    options.policy,
    options.deadlineMs,
    options.observe,
    options.onCircuit,
    options.onDropped,
  );
  return budgetCalls(protectedHttp, quota);
}
