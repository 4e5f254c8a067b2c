import type { Batch, ProviderName } from '../domain/batch.js';
import { GatewayError } from '../domain/errors.js';

/** One event of a `batches(ids:)` stream (GraphQL `BatchEvent`). */
export interface BatchEvent {
  id: string;
  batch: Batch | null;
  error: { code: string; message: string; provider: ProviderName | null } | null;
}

function eventError(error: unknown): NonNullable<BatchEvent['error']> {
  if (error instanceof GatewayError)
    return { code: error.code, message: error.message, provider: error.provider ?? null };
  return { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.', provider: null };
}

/**
 * One watched batch's states as `BatchEvent`s: each state is an event, and the error that ends
 * the watch (not found, another tenant's) is its last event instead of ending the whole stream.
 * A plain iterator rather than an async generator, so `return()` reaches the watch at once even
 * while a `next()` is pending (a generator would queue it until the next state); its `next()`
 * maps the watch's promise rather than awaiting it, so a waiting subscriber holds no suspended
 * async function.
 */
export function batchEvents(id: string, states: AsyncIterableIterator<Batch>): AsyncIterableIterator<BatchEvent> {
  let over = false;
  const iterator: AsyncIterableIterator<BatchEvent> = {
    next() {
      if (over) return Promise.resolve({ done: true, value: undefined });
      return states.next().then(
        (result): IteratorResult<BatchEvent> => {
          if (result.done) {
            over = true;
            return { done: true, value: undefined };
          }
          return { done: false, value: { id, batch: result.value, error: null } };
        },
        (error: unknown): IteratorResult<BatchEvent> => {
          over = true;
          return { done: false, value: { id, batch: null, error: eventError(error) } };
        },
      );
    },
    async return() {
      over = true;
      await states.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
