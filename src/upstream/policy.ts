import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  bulkhead,
  circuitBreaker,
  fullJitterGenerator,
  handleWhen,
  retry,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from 'cockatiel';
import type { ProviderName } from '../domain/batch.js';
import { ErrorCode, GatewayError } from '../domain/errors.js';
import {
  DEADLINE_HIT,
  UpstreamHttpError,
  isDeadlineHit,
  type CircuitObserver,
  type CircuitStateName,
  type UpstreamCall,
  type UpstreamCallDetail,
  type UpstreamDropObserver,
  type UpstreamHttp,
  type UpstreamObserver,
} from './types.js';
import { codeFromStatus } from './errors.js';
import { classOfStatus } from './write-answers.js';

export type { CircuitStateName } from './types.js';
import { SharedCalls } from './shared-calls.js';

/**
 * How one provider's upstream calls are protected (docs/resilience.md, "The upstream policy"); its defaults are
 * `upstreamSettings`' (`limits.ts`).
 */
export interface UpstreamPolicy {
  /** Extra attempts for idempotent requests (GET). */
  retries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A Retry-After longer than this is not waited for: the call fails with PROVIDER_RATE_LIMITED. */
  retryAfterCapMs: number;
  /** Consecutive failures that open the breaker. */
  breakerThreshold: number;
  /** How long the breaker stays open before one probe (half-open). */
  breakerHalfOpenMs: number;
  /** Upstream requests in flight per provider, and how many may wait for a slot. */
  maxConcurrent: number;
  maxQueued: number;
}

/** An `UpstreamHttp` with the policy applied, and its breaker state. */
export interface ProtectedHttp extends UpstreamHttp {
  circuit(): CircuitStateName;
}

/** 5xx, transport failures and undecodable bodies: the provider is unwell. */
function isProviderFault(error: unknown): boolean {
  if (error instanceof UpstreamHttpError) return error.status >= 500;
  return (
    error instanceof GatewayError &&
    (error.code === ErrorCode.PROVIDER_UNAVAILABLE ||
      error.code === ErrorCode.PROVIDER_TIMEOUT ||
      error.code === ErrorCode.PROVIDER_BAD_RESPONSE)
  );
}

function retryAfterOf(error: unknown): number | undefined {
  return error instanceof UpstreamHttpError ? error.retryAfterMs : undefined;
}

/** One attempt of a call, given the signal the policies hand on. */
type Attempt = (context: { signal: AbortSignal }) => Promise<unknown>;

/** Exponential backoff with full jitter, never shorter than the provider's Retry-After. */
class RetryAfterBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(private readonly inner: IBackoff<unknown> | ExponentialBackoff<unknown>) {}
  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const step = this.inner.next(context);
    const error = 'error' in context.result ? context.result.error : undefined;
    const floor = retryAfterOf(error) ?? 0;
    return { duration: Math.max(step.duration, floor), next: (c) => new RetryAfterBackoff(step).next(c) };
  }
}

/**
 * Wraps a provider's HTTP client with cockatiel: writes make one attempt; GETs are retried on
 * provider faults and on 429 (exponential backoff, full jitter, honouring Retry-After up to a cap); a
 * consecutive-failure
 * circuit breaker fails fast while the provider is down and probes it half-open; a bulkhead
 * bounds concurrent requests; identical concurrent GETs share one upstream request (reference-counted:
 * it is aborted when every caller has gone). The overall
 * deadline of the client's call covers every attempt.
 */
export function protect(
  provider: ProviderName,
  http: UpstreamHttp,
  policy: UpstreamPolicy,
  deadlineMs: number,
  observe?: UpstreamObserver,
  onCircuit?: CircuitObserver,
  onDropped?: UpstreamDropObserver,
): ProtectedHttp {
  const breaker = circuitBreaker(handleWhen(isProviderFault), {
    halfOpenAfter: policy.breakerHalfOpenMs,
    breaker: new ConsecutiveBreaker(policy.breakerThreshold),
  });
  const stateName = (state: CircuitState): CircuitStateName =>
    state === CircuitState.Closed ? 'CLOSED' : state === CircuitState.HalfOpen ? 'HALF_OPEN' : 'OPEN';
  // cockatiel fires this once per transition (closed → open → half-open → closed or open again).
  if (onCircuit) breaker.onStateChange((state) => onCircuit(provider, stateName(state)));
  const limiter = bulkhead(policy.maxConcurrent, policy.maxQueued);
  const retrying = retry(
    handleWhen((error) => {
      if (isDeadlineHit(error)) return false;
      // A Retry-After beyond the cap (on a 429 or a 5xx) is not waited for: the caller gets it as retryAfterMs.
      if ((retryAfterOf(error) ?? 0) > policy.retryAfterCapMs) return false;
      if (error instanceof UpstreamHttpError && error.status === 429) return true;
      return isProviderFault(error);
    }),
    {
      maxAttempts: policy.retries,
      backoff: new RetryAfterBackoff(
        new ExponentialBackoff({
          generator: fullJitterGenerator,
          initialDelay: policy.retryBaseMs,
          maxDelay: policy.retryMaxMs,
        }),
      ),
    },
  );
  // Each call's own signal reaches every layer and every attempt: cockatiel 4 hands it on in every breaker
  // state (its half-open path re-runs waiting calls with their signal) and passes a bulkhead slot on past a
  // queued call that was cancelled; cockatiel 3 did neither (issue 23 wrapped it until this move).
  const guarded = { breaker, limiter };
  /**
   * One attempt through the bulkhead. An attempt that waits for a slot is started from the `finally`
   * of the call that frees it; it still spends its own call's budget, since each attempt closes over
   * its call (`UpstreamCall`) rather than reading an ambient context.
   */
  const inBulkhead = (attempt: Attempt, signal: AbortSignal) => guarded.limiter.execute(attempt, signal);
  // The breaker sees whole calls (after their retries), so an open circuit never hides the real error of a probe.
  // What cockatiel's `wrap(breaker, retrying, limiter)` runs, each layer handing on the signal it was given,
  // without its per-layer closures and context copies.
  const idempotent = (attempt: Attempt, signal: AbortSignal) =>
    guarded.breaker.execute(({ signal: s }) => retrying.execute(({ signal: r }) => inBulkhead(attempt, r), s), signal);
  const once = (attempt: Attempt, signal: AbortSignal) =>
    guarded.breaker.execute(({ signal: s }) => inBulkhead(attempt, s), signal);
  const shared = new SharedCalls<unknown>();

  const translate = (error: unknown): unknown => {
    if (error instanceof BrokenCircuitError) {
      return new GatewayError(
        ErrorCode.PROVIDER_UNAVAILABLE,
        `${provider} is failing; requests are paused for a moment (circuit open)`,
        { provider, cause: error },
      );
    }
    if (error instanceof BulkheadRejectedError) {
      return new GatewayError(
        ErrorCode.PROVIDER_UNAVAILABLE,
        `${provider} has too many requests in flight from this gateway`,
        { provider, cause: error },
      );
    }
    return error;
  };

  const timeoutError = (cause: unknown) =>
    Object.assign(
      new GatewayError(ErrorCode.PROVIDER_TIMEOUT, `${provider} did not answer in time (deadline ${deadlineMs} ms)`, {
        provider,
        cause,
      }),
      { [DEADLINE_HIT]: true },
    );

  /** Tells `observe` how a call ended, in one vocabulary (see `settle`), with the operation it served. */
  const report = (started: number, outcome: string, call: UpstreamCall | undefined, detail?: UpstreamCallDetail) =>
    observe?.(
      provider,
      outcome,
      (performance.now() - started) / 1000,
      // Only failures are logged (`runtime.ts`), so only they carry the operation.
      call?.scope && outcome !== 'ok' ? { ...detail, scope: call.scope } : detail,
    );

  /** The outcome of a failed call, as the caller gets it (reported once). */
  const failure = (
    started: number,
    call: UpstreamCall | undefined,
    error: unknown,
    timedOut: boolean,
    callerLeft: boolean,
    write: boolean,
  ): unknown => {
    if (timedOut) {
      report(started, ErrorCode.PROVIDER_TIMEOUT, call);
      return error instanceof GatewayError && error.code === ErrorCode.PROVIDER_TIMEOUT ? error : timeoutError(error);
    }
    const translated = translate(error);
    // One vocabulary: `aborted` (the caller left), else the gateway's code for the failure (a raw
    // upstream status is mapped as the adapters map it, so a 404 is NOT_FOUND, never `http_404`).
    if (callerLeft) report(started, 'aborted', call);
    else if (translated instanceof GatewayError)
      report(started, translated.code, call, {
        upstreamStatus: translated.upstreamStatus,
        circuitOpen: error instanceof BrokenCircuitError,
      });
    else if (translated instanceof UpstreamHttpError)
      report(started, codeFromStatus(translated.status), call, {
        upstreamStatus: translated.status,
        // A write's definite refusal (`CANNOT_CANCEL`, a rejected input): the provider's answer to the client,
        // which the adapter turns into a user error; not a failure of the provider.
        ...(write && classOfStatus(translated.status) === 'refused' ? { refusal: true } : {}),
      });
    else report(started, 'INTERNAL_SERVER_ERROR', call);
    return translated;
  };

  /**
   * Runs `run` under one deadline for all its attempts; a deadline hit is PROVIDER_TIMEOUT. The
   * call's one signal is `controller`'s: its owner aborts it when the caller leaves, and the
   * deadline (one timer, cleared when the call settles) aborts it with the timeout error, so every
   * attempt cut off by it fails as a provider timeout (`DEADLINE_HIT`), which the breaker counts
   * and no retry repeats. The caller is released the moment the deadline passes or it aborts,
   * even while a retry waits out its backoff (cockatiel's delays are not abortable; the abandoned
   * run ends on its own). Every attempt calls `sending` right before it reaches the HTTP layer: once
   * the signal has aborted, nothing more is sent, whichever state the breaker is in, and a run that
   * ends having sent nothing is counted as dropped (`onDropped`).
   */
  const underDeadline = (
    controller: AbortController,
    call: UpstreamCall | undefined,
    run: (s: AbortSignal, sending: () => void) => Promise<unknown>,
    write = false,
  ): Promise<unknown> => {
    const signal = controller.signal;
    const started = performance.now();
    let sent = false;
    const sending = (): void => {
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      sent = true;
    };
    return new Promise<unknown>((resolve, reject) => {
      let done = false;
      let timedOut = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = () => {
        if (finish()) reject(failure(started, call, signal.reason ?? new Error('aborted'), timedOut, !timedOut, write));
      };
      const timer = setTimeout(() => {
        if (done) return;
        timedOut = true;
        // The timeout error is the signal's reason: undici and a waiting budget reject with it (`onAbort` settles).
        controller.abort(timeoutError(new DOMException('The operation was aborted due to timeout', 'TimeoutError')));
      }, deadlineMs);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort);
      run(signal, sending).then(
        (value) => {
          if (!finish()) return;
          report(started, 'ok', call);
          resolve(value);
        },
        (error: unknown) => {
          // Its callers left (or its deadline passed) before any attempt went out: nothing was sent.
          if (!sent && signal.aborted) onDropped?.(provider);
          if (finish()) reject(failure(started, call, error, false, signal.aborted, write));
        },
      );
    });
  };

  return {
    async request(method, path, query, signal, headers, body, call) {
      if (method !== 'GET') {
        // A write makes one attempt (never retried: the provider may have acted on the first) under the
        // breaker, the bulkhead and the deadline. Once started it is never abandoned because its caller
        // left: the provider may accept it anyway, and only a finished call tells the gateway what
        // happened (docs/writes.md, "Safe to retry"). A caller already gone before it starts sends nothing.
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        return underDeadline(
          new AbortController(),
          call,
          (s, sending) =>
            once(({ signal: inner }) => {
              sending();
              return http.request(method, path, query, inner, headers, body, call);
            }, s),
          true,
        );
      }
      const params = Object.entries(query ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
      const key = `${JSON.stringify(headers ?? {})} ${path}?${new URLSearchParams(params).toString()}`;
      // Identical GETs in flight share one upstream call, which runs while any caller still waits
      // for it and is aborted when the last one leaves (a client gone, a poll stopped); its deadline
      // aborts the same signal. The shared call runs as the first caller's (its traffic, its operation).
      return shared.run(key, signal, (_s, controller) =>
        underDeadline(controller, call, (s, sending) =>
          idempotent(({ signal: inner }) => {
            sending();
            return http.request('GET', path, query, inner, headers, undefined, call);
          }, s),
        ),
      );
    },
    close: () => http.close(),
    circuit: () => stateName(breaker.state),
  };
}
