import type { ExecutionResult } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';
import { longTimeout, type LongTimeout } from '../config/long-timeout.js';

const isAsyncIterable = (value: unknown): value is AsyncIterableIterator<ExecutionResult> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * Ends a stream when the token that opened it expires: one last result carrying an
 * `UNAUTHENTICATED` error, then completion; the inner stream is returned at once, so the poll
 * hub releases its watch. Over SSE that is a `next` event with the error, then `complete`; over
 * WebSocket the socket is closed with 4403 right after (`transports/ws.ts`).
 */
function expiring(
  inner: AsyncIterableIterator<ExecutionResult>,
  expiresAt: number,
): AsyncIterableIterator<ExecutionResult> {
  let state: 'open' | 'expired' | 'done' = 'open';
  let timer: LongTimeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    // A token may live longer than Node's longest timer (about 24.8 days).
    timer = longTimeout(() => resolve('expired'), expiresAt - Date.now());
  });
  const finish = () => {
    timer?.clear();
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (state !== 'open') return { done: true, value: undefined };
      let result: IteratorResult<ExecutionResult> | 'expired';
      try {
        result = await Promise.race([inner.next(), expired]);
      } catch (error) {
        // The inner stream failed (its error goes out as usual): nothing left to expire.
        state = 'done';
        finish();
        throw error;
      }
      if (result === 'expired') {
        state = 'expired';
        // Released at once (the poll hub lets go of the watch); a failure to close changes nothing here.
        void Promise.resolve(inner.return?.()).catch(() => undefined);
        return {
          done: false,
          value: {
            errors: [
              createGraphQLError('Unauthenticated: the token expired; subscribe again with a fresh one', {
                extensions: { code: 'UNAUTHENTICATED' },
              }),
            ],
          },
        };
      }
      if (result.done) {
        state = 'done';
        finish();
      }
      return result;
    },
    async return() {
      state = 'done';
      finish();
      await inner.return?.();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      state = 'done';
      finish();
      if (inner.throw) return inner.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** Wraps every subscription of a caller whose token expires (`Principal.expiresAt`). */
export function useTokenExpiry(): Plugin<GraphQLContext> {
  return {
    onSubscribe({ args }) {
      const expiresAt = args.contextValue.principal?.expiresAt;
      if (expiresAt === undefined) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(expiring(result, expiresAt));
        },
      };
    },
  };
}
