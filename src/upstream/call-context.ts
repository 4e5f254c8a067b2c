import type { RequestScope } from '../observability/request-scope.js';

/**
 * Which kind of work an upstream call serves: a client waiting for an answer (`interactive`, the
 * default), a live stream's first read (`first-read`: its subscriber waits, but it draws on the
 * polling share) or the poll hub keeping live streams fresh (`background`). The provider's request
 * budget gives interactive calls priority and a reserved share, then first reads, then paced polls.
 */
export type TrafficClass = 'interactive' | 'first-read' | 'background';

/**
 * What an upstream call is made for: its traffic class and, inside a GraphQL operation, the
 * operation's scope (the logger with its `requestId`, the server span that attempts are children
 * of). It travels with the `AbortSignal` the call is made with, as a Go `context.Context` carries
 * values beside its cancellation: the owner of a signal binds it once (a request's budget, a live
 * stream's poll loop), and the upstream layer reads it when a call starts (`budget/gates.ts`), then hands it
 * on explicitly to every attempt. No `AsyncLocalStorage`: on Node 20 one enabled store puts a
 * promise hook on every promise of the process: 8 % of the gateway's CPU per query, 16 % for
 * inline ones (docs/benchmarks.md, "CPU per request").
 */
export interface CallContext {
  /** Mutable: a poll loop's first read is `first-read`, its later steps `background`. */
  traffic: TrafficClass;
  /** Set when the operation starts (`RequestBudget.bindScope`, from `graphql/operation-scope.ts`); polls have none. */
  scope?: RequestScope;
  /**
   * The client the call is for (`identity.ts`'s key), so the provider's budget can give each client a
   * fair share of its interactive part (`quota.ts`); polls serve every watcher and have none.
   */
  client?: string;
  /**
   * Set (to 0) by a poll loop that wants to know why its read is late: how many of its calls wait for
   * the provider's request budget right now (`waitingForBudget`, counted by `budget/gates.ts`).
   */
  budgetWaits?: number;
}

const INTERACTIVE: CallContext = Object.freeze({ traffic: 'interactive' });
const contexts = new WeakMap<AbortSignal, CallContext>();

/** Every upstream call made with `signal` is made for `context`. Returns `signal`. */
export function bindCallContext(signal: AbortSignal, context: CallContext): AbortSignal {
  contexts.set(signal, context);
  return signal;
}

/** The context a call made with `signal` is for: interactive, with no scope, unless its signal was bound. */
export function callContextOf(signal: AbortSignal | undefined): CallContext {
  return (signal && contexts.get(signal)) || INTERACTIVE;
}

/**
 * Counts a call of `context` as waiting for the provider's request budget until `wait` (the budget's
 * `take`) settles, when the context counts its waits (`budgetWaits` set). Returns `wait`.
 */
export function waitingForBudget<T>(context: CallContext, wait: Promise<T>): Promise<T> {
  if (context.budgetWaits === undefined) return wait;
  context.budgetWaits++;
  const done = () => {
    context.budgetWaits!--;
  };
  wait.then(done, done);
  return wait;
}

/**
 * A signal that never aborts, carrying `context`: for calls that nothing cancels (a webhook's
 * confirming read, a request's writes, which once sent must finish).
 */
export function contextSignal(context: CallContext): AbortSignal {
  return bindCallContext(new AbortController().signal, context);
}
