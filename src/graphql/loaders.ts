import DataLoader from 'dataloader';
import type { Batch, ProviderName } from '../domain/batch.js';
import type { Providers } from '../domain/provider.js';
import type { RequestBudget } from './request-budget.js';

/** A load key: the upstream id, and whether pending details are wanted (`wantsPendingDetails`). */
interface BatchKey {
  providerBatchId: string;
  includePendingDetails: boolean;
}

/** Per-request loaders, one per provider. */
export interface Loaders {
  batch(provider: ProviderName): DataLoader<BatchKey, Batch, string>;
}

/**
 * At most `max` calls at once; the others wait in order and start as slots free up. What p-limit
 * does, without its five promises and two async functions per call: most requests make one call,
 * which here costs one counter increment (docs/benchmarks.md, "CPU per request").
 */
export function callSlots(max: number): <T>(call: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  // A finished call hands its slot straight to the next waiting one.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const start = <T>(call: () => Promise<T>): Promise<T> => {
    let result: Promise<T>;
    try {
      result = call();
    } catch (error) {
      release();
      return Promise.reject(error);
    }
    result.then(release, release);
    return result;
  };
  return (call) => {
    if (active < max) {
      active++;
      return start(call);
    }
    return new Promise<void>((resolve) => waiting.push(resolve)).then(() => start(call));
  };
}

/**
 * Creates this request's loaders. Each batch function fans out to the provider's single-batch
 * GET (no provider has a multi-get) with at most `concurrency` requests in flight, and returns
 * an `Error` at the index of a failed key instead of rejecting, so one bad id cannot sink a
 * `nodes(ids:)` (the DataLoader contract). Duplicate keys in one operation cost one call.
 * Every call goes through the request's budget (`request-budget.ts`).
 */
export function createLoaders(
  providers: Providers,
  concurrency: number,
  budget: RequestBudget,
  tenant?: string,
): Loaders {
  const loaders = new Map<ProviderName, DataLoader<BatchKey, Batch, string>>();
  return {
    batch(name) {
      let loader = loaders.get(name);
      if (!loader) {
        const provider = providers[name];
        if (!provider) throw new TypeError(`loader for unconfigured provider ${name}`);
        const limit = callSlots(concurrency);
        loader = new DataLoader<BatchKey, Batch, string>(
          (keys) =>
            Promise.all(
              keys.map((key) =>
                limit(() =>
                  // Each call takes one from the request's budget and its signal: a client that leaves or a
                  // deadline that passes aborts the calls in flight, and the queued ones never go out.
                  budget.call(name, (signal) =>
                    provider.get(key.providerBatchId, {
                      includePendingDetails: key.includePendingDetails,
                      signal,
                      ...(tenant ? { tenant } : {}),
                    }),
                  ),
                ).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
              ),
            ),
          { cacheKeyFn: (key) => `${key.includePendingDetails ? 'p' : '-'}:${key.providerBatchId}`, maxBatchSize: 100 },
        );
        loaders.set(name, loader);
      }
      return loader;
    },
  };
}
