import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { ExecutionResult } from 'graphql';

type Results = AsyncIterableIterator<ExecutionResult>;

/** Per subscription context: which key the result just executed is for (a `batches(ids:)` event's id). */
const resultKeys = new WeakMap<object, () => string | undefined>();

/**
 * Says that the results of the subscription running in `context` are compared per key, the key
 * of each being what `keyOf` answers once its source event was delivered.
 */
export function keyResultsBy(context: object, keyOf: () => string | undefined): void {
  resultKeys.set(context, keyOf);
}

/**
 * A fast 53-bit hash of a string (cyrb53): a number, so a subscriber keeps 8 bytes of its last
 * result rather than the result itself.
 */
function hashOf(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The results of one subscription, less each one equal to the last one sent (for its key, when
 * `keyOf` is given): compared by a hash of the serialized result. A class rather than closures
 * (one per subscriber: its fields only), a plain iterator rather than an async generator, so a
 * waiting subscriber holds no suspended async function and `return()` reaches the source at once.
 */
class ChangedResults implements Results {
  private last = Number.NaN;
  private lastByKey: Map<string, number> | undefined;

  constructor(
    private readonly results: Results,
    private readonly keyOf: (() => string | undefined) | undefined,
  ) {}

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.results.next().then((step) => (step.done || this.fresh(step.value) ? step : this.next()));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    return this.results.return?.() ?? Promise.resolve({ done: true, value: undefined });
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    return this.results.throw?.(error) ?? Promise.reject(error);
  }

  [Symbol.asyncIterator](): Results {
    return this;
  }

  private fresh(result: ExecutionResult): boolean {
    const hash = hashOf(JSON.stringify(result));
    const key = this.keyOf?.();
    if (key === undefined) {
      if (hash === this.last) return false;
      this.last = hash;
      return true;
    }
    this.lastByKey ??= new Map();
    if (this.lastByKey.get(key) === hash) return false;
    this.lastByKey.set(key, hash);
    return true;
  }
}

/**
 * Events on change: a subscriber is sent a result only when it differs from the last one it was
 * sent (docs/live-progress.md, "Events on change"). The hub publishes every reading; a selection
 * with `observedAt` changes with each, one without it only when a selected field does. Quiet
 * streams stay open on the transports' keepalives (an SSE comment, a WebSocket ping, every 12 s).
 */
export function useChangedResults(): Plugin {
  return {
    onSubscribe: ({ args }) => ({
      onSubscribeResult: ({ result, setResult }) => {
        if (!isAsyncIterable(result)) return;
        const keyOf = resultKeys.get(args.contextValue as object);
        setResult(new ChangedResults(result as Results, keyOf));
      },
    }),
  };
}
