import { setMaxListeners } from 'node:events';
import type { ProviderName } from '../domain/batch.js';
import { ErrorCode, GatewayError } from '../domain/errors.js';
import { bindCallContext, contextSignal, type CallContext } from '../upstream/call-context.js';
import type { RequestScope } from '../observability/request-scope.js';

/** Thrown as the abort reason when the response deadline passes. */
class DeadlinePassed extends Error {
  override name = 'DeadlinePassed';
}

/**
 * What one GraphQL request may spend upstream, and when it stops: a budget of upstream calls
 * (`MAX_UPSTREAM_CALLS_PER_REQUEST`, counted as calls go out), the response deadline
 * (`REQUEST_DEADLINE_MS`, started when a query or mutation executes; subscriptions are
 * long-lived and never get one) and the client's own disconnect. Every upstream call of the
 * request takes its signal, so a client that leaves or a deadline that passes aborts the
 * calls in flight and the ones still queued. Its controller (and the listener on the client's
 * signal) is made on first use: a subscription, which makes no upstream call of its own, keeps
 * none for its lifetime.
 */
export class RequestBudget {
  private made: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private spent = 0;
  private perProvider: Map<ProviderName, number> | undefined;
  private deadlineHit = false;
  /** What this request's upstream calls are for: interactive, and its operation's scope once it runs (`bindScope`). */
  private readonly context: CallContext;

  constructor(
    readonly maxCalls: number,
    /** `REQUEST_DEADLINE_MS`. */
    readonly deadlineMs: number,
    private readonly clientSignal?: AbortSignal,
    /** The client's identity key: its calls count against its share of each provider's budget. */
    client?: string,
  ) {
    this.context = client === undefined ? { traffic: 'interactive' } : { traffic: 'interactive', client };
  }

  /**
   * Binds the operation's scope (its logger and span) to this request's upstream calls: each one
   * started from now on with `signal` or `writeSignal` carries it. Asked as the operation executes
   * (`operation-scope.ts`).
   */
  bindScope(scope: RequestScope): void {
    this.context.scope = scope;
  }

  /** Aborts when the client has gone or the response deadline has passed. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private get controller(): AbortController {
    if (this.made) return this.made;
    const controller = (this.made = new AbortController());
    bindCallContext(controller.signal, this.context);
    // Each upstream call in flight or queued listens here, and a request may make `maxCalls` of them
    // (`nodes` with 20 ids): past Node's default of 10 that is the design, not a leak to warn about.
    setMaxListeners(this.maxCalls + 10, controller.signal);
    const client = this.clientSignal;
    if (client) {
      if (client.aborted) controller.abort(client.reason);
      else {
        this.onClientAbort = () => controller.abort(client.reason);
        client.addEventListener('abort', this.onClientAbort, { once: true });
      }
    }
    return controller;
  }

  /** The listener on the client's signal, removed at `finish()` (a WebSocket's signal outlives its operations). */
  private onClientAbort: (() => void) | undefined;

  private neverAborts: AbortSignal | undefined;
  /**
   * A signal that never aborts, carrying this request's context: a write is never tied to the
   * client's signal (once sent it must finish), but its log lines and span are still its operation's.
   */
  get writeSignal(): AbortSignal {
    return (this.neverAborts ??= contextSignal(this.context));
  }

  /** Upstream calls made so far. */
  get calls(): number {
    return this.spent;
  }

  /** Upstream calls made so far, by provider (the access log). */
  get callsByProvider(): Partial<Record<ProviderName, number>> {
    return this.perProvider ? Object.fromEntries(this.perProvider) : {};
  }

  /** Starts the response deadline (queries and mutations). */
  startDeadline(): void {
    if (this.timer || this.controller.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.deadlineHit = true;
      this.controller.abort(new DeadlinePassed(`response deadline of ${this.deadlineMs} ms passed`));
    }, this.deadlineMs);
    this.timer.unref?.();
  }

  /** Ends the deadline timer when the response is complete. */
  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.onClientAbort) this.clientSignal?.removeEventListener('abort', this.onClientAbort);
    this.onClientAbort = undefined;
  }

  /**
   * Accounts for one upstream call to `provider` about to go out. Throws, at the calling
   * field, when the request is over (client gone, deadline passed) or the budget is spent.
   */
  take(provider: ProviderName): void {
    if (this.controller.signal.aborted) throw this.stopped(provider, this.controller.signal.reason);
    if (this.spent >= this.maxCalls) {
      throw new GatewayError(
        ErrorCode.QUERY_TOO_COMPLEX,
        `this request has used its ${this.maxCalls} upstream calls (MAX_UPSTREAM_CALLS_PER_REQUEST); ` +
          'ask for fewer batches per request',
        { provider },
      );
    }
    this.spent++;
    const perProvider = (this.perProvider ??= new Map());
    perProvider.set(provider, (perProvider.get(provider) ?? 0) + 1);
  }

  /**
   * Counts one upstream write to `provider` (the access log) without the checks of `take`: a write
   * goes out whether or not the client is still there, and its calls are few and fixed.
   */
  count(provider: ProviderName): void {
    this.spent++;
    const perProvider = (this.perProvider ??= new Map());
    perProvider.set(provider, (perProvider.get(provider) ?? 0) + 1);
  }

  /**
   * Runs one upstream call of this request: takes a call from the budget, gives the call the
   * request's signal, and turns an abort by the deadline into `PROVIDER_TIMEOUT` naming the provider.
   */
  async call<T>(provider: ProviderName, run: (signal: AbortSignal) => Promise<T>, take = true): Promise<T> {
    if (take) this.take(provider);
    else if (this.controller.signal.aborted) throw this.stopped(provider, this.controller.signal.reason);
    try {
      return await run(this.controller.signal);
    } catch (error) {
      if (this.controller.signal.aborted) throw this.stopped(provider, error);
      throw error;
    }
  }

  private stopped(provider: ProviderName, cause: unknown): GatewayError {
    if (this.deadlineHit) {
      return new GatewayError(
        ErrorCode.PROVIDER_TIMEOUT,
        `${provider} did not answer within this response's deadline of ${this.deadlineMs} ms (REQUEST_DEADLINE_MS)`,
        {
          provider,
          cause,
        },
      );
    }
    return new GatewayError(ErrorCode.PROVIDER_UNAVAILABLE, `the request was cancelled before ${provider} answered`, {
      provider,
      cause,
    });
  }
}
