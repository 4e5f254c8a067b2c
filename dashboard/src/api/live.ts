import { createClient, type Client } from 'graphql-ws';
import { useSyncExternalStore } from 'react';
import {
  WatchBatchDocument,
  WatchBatchesDocument,
  type BatchRowFragment,
  type TypedDocumentString,
  type WatchBatchesSubscription,
} from '../__generated__/graphql';
import { auth } from './auth';
import { documentOf, ENDPOINT, type GqlError } from './client';

/** graphql-ws's close code for a refused or expired token (the gateway closes with it at expiry). */
const FORBIDDEN = 4403;
/** The close code graphql-ws's client uses for its own closes: the lazy close and `dispose`. */
const NORMAL_CLOSURE = 1000;

/**
 * What the header says about the live stream:
 * - `idle`: nothing is watched (no subscription), whether or not the socket is still open;
 * - `connecting`: something is watched and the socket is opening for the first time since it was idle;
 * - `connected`: something is watched over an acknowledged socket;
 * - `reconnecting`: something is watched and the socket was lost (a close the page did not ask for), until
 *   a new one is acknowledged;
 * - `needs-token`: the gateway refused or expired the token (4403); until a new token makes a new client.
 */
export type LiveConnection = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'needs-token';
interface LiveStatus {
  connection: LiveConnection;
  /** Distinct batches the page's subscriptions watch now. */
  watching: number;
}
export type BatchEvent = WatchBatchesSubscription['batches'];

/** The socket as the current client's events tell it. */
type SocketState = 'closed' | 'opening' | 'open' | 'lost' | 'forbidden';

let socket: SocketState = 'closed';
/** The page's subscriptions still running, each with the ids it still watches. */
const active = new Map<number, Set<string>>();
let nextSubscription = 0;
let status: LiveStatus = { connection: 'idle', watching: 0 };
const listeners = new Set<() => void>();

function publish(): void {
  const ids = new Set<string>();
  for (const watched of active.values()) for (const id of watched) ids.add(id);
  const connection: LiveConnection =
    socket === 'forbidden'
      ? 'needs-token'
      : active.size === 0
        ? 'idle'
        : socket === 'open'
          ? 'connected'
          : socket === 'lost'
            ? 'reconnecting'
            : 'connecting';
  if (connection === status.connection && ids.size === status.watching) return;
  status = { connection, watching: ids.size };
  for (const listener of listeners) listener();
}
const setSocket = (next: SocketState) => {
  socket = next;
  publish();
};

/** The state of the page's one WebSocket and what it watches, for the header's indicator. */
export const useLiveStatus = (): LiveStatus =>
  useSyncExternalStore(
    (l) => (listeners.add(l), () => listeners.delete(l)),
    () => status,
  );

/** Sockets the client closed itself with a normal closure: its lazy close, or `dispose` for a new token. */
const closedByPage = new WeakSet<object>();
/**
 * The browser's WebSocket, remembering the closes graphql-ws makes itself: they are planned, so the
 * indicator tells them from a socket the network or the gateway dropped.
 */
class PageSocket extends WebSocket {
  override close(code?: number, reason?: string): void {
    if (code === NORMAL_CLOSURE) closedByPage.add(this);
    super.close(code, reason);
  }
}

let client: Client | undefined;
let clientEpoch = -1;

/**
 * The page's WebSocket (graphql-transport-ws on /graphql): lazy (opened by the first subscription,
 * closed 2 s after the last one ends), reconnecting with back-off while anything is watched, the
 * token in `connectionParams`. A 4403 close (token refused or expired) asks for a new token and stops
 * retrying; a new token (a new auth epoch) makes a new client. Only the current client's events
 * move the indicator (a disposed one still reports its closing).
 */
function liveClient(): Client {
  const { epoch } = auth.snapshot();
  if (client && clientEpoch === epoch) return client;
  if (client) void Promise.resolve(client.dispose()).catch(() => undefined);
  clientEpoch = epoch;
  const url = new URL(ENDPOINT, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const made: Client = createClient({
    url: url.href,
    webSocketImpl: PageSocket,
    lazy: true,
    lazyCloseTimeout: 2_000,
    retryAttempts: Infinity,
    shouldRetry: (event) => (event as { code?: number } | null)?.code !== FORBIDDEN,
    connectionParams: () => {
      const token = auth.token();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      // `isRetry`: graphql-ws retries after a close it did not make; a socket already lost stays so until acknowledged.
      connecting: (isRetry) => {
        if (client === made) setSocket(isRetry || socket === 'lost' ? 'lost' : 'opening');
      },
      connected: () => {
        if (client === made) setSocket('open');
      },
      closed: (event) => {
        if (client !== made) return;
        const { code, target } = (event ?? {}) as { code?: number; target?: object };
        if (code === FORBIDDEN) {
          setSocket('forbidden');
          auth.require('The live stream was closed: the token was refused or has expired');
        } else if ((target && closedByPage.has(target)) || active.size === 0) {
          // The lazy close after the last subscription ended (or a drop while nothing was watched): nothing is lost.
          setSocket('closed');
        } else setSocket('lost');
      },
    },
  });
  client = made;
  socket = 'closed';
  publish();
  return made;
}

/** What one subscription sends, and its failure (its plain end needs no handler: the indicator counts it). */
interface WatchHandlers<T> {
  next(data: T): void;
  /**
   * The stream as a whole failed (a bad or missing id, TOO_MANY_SUBSCRIPTIONS, a dropped stream); empty
   * after a 4403 close (the token dialog says why). A retry, where `retryable`, is planned by the caller.
   */
  failed(errors: GqlError[]): void;
}

/**
 * One subscription on the page's socket, counted for the indicator from its start until it ends (its
 * completion, its failure, or the returned cancel, whichever comes first).
 */
function watch<T, V>(
  document: TypedDocumentString<T, V>,
  variables: V,
  ids: readonly string[],
  select: (data: T) => void,
  handlers: Pick<WatchHandlers<unknown>, 'failed'>,
): { cancel(): void; forget(id: string): void } {
  const key = nextSubscription++;
  active.set(key, new Set(ids));
  const live = liveClient();
  publish();
  const end = () => {
    if (active.delete(key)) publish();
  };
  const stop = live.subscribe<T>(
    // By id, as over HTTP, with the text beside it (graphql-ws requires a `query` string): a known id decides, and a
    // gateway without this build's ids runs the text unless it runs only persisted documents.
    { ...documentOf(document), query: document.toString(), variables: variables as Record<string, unknown> },
    {
      next(result) {
        if (result.errors?.length) {
          const errors = result.errors as GqlError[];
          if (errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED'))
            auth.require(errors[0]?.message ?? 'The token has expired');
          handlers.failed(errors);
        }
        if (result.data) select(result.data);
      },
      error(error) {
        end();
        if (Array.isArray(error)) handlers.failed(error as GqlError[]);
        else if ((error as { code?: number } | null)?.code === FORBIDDEN) handlers.failed([]);
        else handlers.failed([{ message: 'The live stream was interrupted', extensions: { code: 'NETWORK' } }]);
      },
      complete: end,
    },
  );
  return {
    cancel: () => {
      end();
      stop();
    },
    forget: (id) => {
      if (active.get(key)?.delete(id)) publish();
    },
  };
}

/**
 * One `batches(ids:)` subscription (the list's running rows); returns its cancel function. A batch whose
 * event is an error is no longer counted as watched.
 */
export function watchBatches(ids: readonly string[], handlers: WatchHandlers<BatchEvent>): () => void {
  const watching = watch(
    WatchBatchesDocument,
    { ids: [...ids] },
    ids,
    (data) => {
      if (data.batches.error) watching.forget(data.batches.id);
      handlers.next(data.batches);
    },
    handlers,
  );
  return watching.cancel;
}

/** One `batch(id:)` subscription (the detail panel's batch); returns its cancel function. */
export function watchBatch(id: string, handlers: WatchHandlers<BatchRowFragment>): () => void {
  return watch(WatchBatchDocument, { id }, [id], (data) => handlers.next(data.batch), handlers).cancel;
}

/** Errors that another try cannot change: the id, the batch, the provider or the token is the problem. */
const FINAL_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'PROVIDER_NOT_CONFIGURED', 'UNAUTHENTICATED']);

/** Whether a failed stream is worth subscribing again (after a 4403 close, a new token starts it over instead). */
export const retryable = (errors: readonly GqlError[]): boolean =>
  errors.length > 0 && !errors.some((e) => FINAL_CODES.has(e.extensions?.code ?? ''));
