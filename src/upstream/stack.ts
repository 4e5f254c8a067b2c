/**
 * The composer of the upstream stack: builds one provider's `UpstreamHttp` and is on no call's path.
 * A call goes one way, down: the budget's call gate (`budget/gates.ts`), the policy (`policy.ts`:
 * deadline, breaker, retries, bulkhead), the budget's attempt gate, then the raw undici layer
 * (`raw.ts`). No layer imports this file or a layer above it; what the budget learns from each
 * response, the raw layer tells it through the `onResponse` callback handed to it here.
 */
import { DEFAULT_UPSTREAM_POLICY, protect, type UpstreamPolicy } from './policy.js';
import type { CircuitObserver, UpstreamDropObserver, UpstreamHttp, UpstreamObserver } from './types.js';
import { createRawHttp, type RawHttpOptions } from './raw.js';
import { ProviderQuota } from './budget/quota.js';
import { budgetAttempts, budgetCalls } from './budget/gates.js';
import type { RateWindow } from './budget/rate-limit.js';
import type { SharedBudget } from './budget/shared-budget.js';

export { UpstreamHttpError, type UpstreamHttp } from './types.js';

/** One provider's upstream client: its pool and limits (`raw.ts`), its policy and its request budget. */
export interface UpstreamHttpOptions extends RawHttpOptions {
  /** Retries, circuit breaker and bulkhead (`policy.ts`). @default DEFAULT_UPSTREAM_POLICY */
  policy?: Partial<UpstreamPolicy>;
  /** Told the outcome and duration of every call (metrics). */
  observe?: UpstreamObserver;
  /** Told each transition of the circuit breaker (logs). */
  onCircuit?: CircuitObserver;
  /** Told each call dropped unsent because its callers left or its deadline passed first (metrics). */
  onDropped?: UpstreamDropObserver;
  /** The provider's quota windows: every attempt takes from this budget first (`quota.ts`). @default none */
  rateLimit?: RateWindow[];
  /** Share of the budget kept for interactive calls. @default 0.3 */
  interactiveShare?: number;
  /** How long an interactive call waits for budget. @default 1000 */
  budgetWaitMs?: number;
  /** The most of the interactive part one client may take while others wait (`quota.ts`). @default 1 */
  clientShare?: number;
  /** The longest a 429's Retry-After pauses polling of this provider. @default 60000 */
  pauseCapMs?: number;
  /** The clock of the request budget (tests pass the simulators' clock). @default Date.now */
  now?: () => number;
  /** With Redis, the budget's window capacity is shared by all replicas (`shared-budget.ts`). */
  sharedBudget?: SharedBudget;
}

/** Composes one provider's stack: budget (call gate), policy, budget (attempt gate), raw undici. */
export function createUpstreamHttp(options: UpstreamHttpOptions): UpstreamHttp {
  const quota = new ProviderQuota(options.provider, options.rateLimit ?? [], {
    interactiveShare: options.interactiveShare ?? 0.3,
    waitMs: options.budgetWaitMs ?? 1_000,
    ...(options.pauseCapMs !== undefined ? { pauseCapMs: options.pauseCapMs } : {}),
    ...(options.clientShare !== undefined ? { clientShare: options.clientShare } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  options.sharedBudget?.attach(quota, options.interactiveShare ?? 0.3);
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
    { ...DEFAULT_UPSTREAM_POLICY, ...options.policy },
    options.deadlineMs ?? 15_000,
    options.observe,
    options.onCircuit,
    options.onDropped,
  );
  return budgetCalls(protectedHttp, quota);
}
