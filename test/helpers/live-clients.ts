import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';

/** One open subscription as a test sees it. */
export interface LiveSubscription<T = any> {
  /** Every `data` received, in order. */
  events: T[];
  /** Errors the server sent. */
  errors: unknown[];
  /** Resolves when the server completes the stream (or it errors). */
  ended: Promise<void>;
  isEnded(): boolean;
  /** Unsubscribes (the server sees the client go away). */
  close(): void;
  /** Resolves once at least `n` events have arrived. */
  waitForEvents(n: number, timeoutMs?: number): Promise<void>;
}

function track<T>(
  start: (sink: {
    next(v: { data?: T; errors?: unknown[] }): void;
    error(e: unknown): void;
    complete(): void;
  }) => () => void,
): LiveSubscription<T> {
  const events: T[] = [];
  const errors: unknown[] = [];
  let ended = false;
  let resolveEnded!: () => void;
  const endedPromise = new Promise<void>((r) => (resolveEnded = r));
  const waiters: { n: number; resolve: () => void }[] = [];
  const flush = () => {
    for (const w of [...waiters])
      if (events.length >= w.n || ended) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  };
  const stop = start({
    next(v) {
      if (v.errors) errors.push(...v.errors);
      if (v.data !== undefined && v.data !== null) events.push(v.data);
      flush();
    },
    error(e) {
      // A socket closed by the server arrives as a CloseEvent: keep its code and reason.
      errors.push(
        e && typeof e === 'object' && 'code' in e && 'reason' in e
          ? { code: (e as { code: unknown }).code, reason: (e as { reason: unknown }).reason }
          : e,
      );
      ended = true;
      resolveEnded();
      flush();
    },
    complete() {
      ended = true;
      resolveEnded();
      flush();
    },
  });
  return {
    events,
    errors,
    ended: endedPromise,
    isEnded: () => ended,
    close: stop,
    waitForEvents(n, timeoutMs = 10_000) {
      if (events.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`timed out waiting for ${n} events (have ${events.length}, errors ${JSON.stringify(errors)})`),
            ),
          timeoutMs,
        );
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

/** A graphql-sse client in distinct connections mode against yoga's SSE on `/graphql`. */
export function sseClient(url: string, headers: Record<string, string> = {}): SseClient {
  return createSseClient({ url, singleConnection: false, retryAttempts: 0, headers });
}

/** A graphql-ws client on the same `/graphql` path. */
export function wsClient(httpUrl: string, connectionParams: Record<string, unknown> = {}): WsClient {
  return createWsClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams,
  });
}

/** Subscribes through either client. */
export function subscribe<T = any>(
  client: SseClient | WsClient,
  query: string,
  variables: Record<string, unknown> = {},
): LiveSubscription<T> {
  return track<T>((sink) => client.subscribe({ query, variables }, sink as never));
}
