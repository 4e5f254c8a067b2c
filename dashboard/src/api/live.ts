import { createClient, type Client } from 'graphql-ws';
import { useSyncExternalStore } from 'react';
import { WatchBatchesDocument, type WatchBatchesSubscription } from '../__generated__/graphql';
import { auth } from './auth';
import { ENDPOINT, type GqlError } from './client';

/** graphql-ws's close code for a refused or expired token (the gateway closes with it at expiry). */
const FORBIDDEN = 4403;

export type LiveConnection = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'needs-token';
export type BatchEvent = WatchBatchesSubscription['batches'];

let connection: LiveConnection = 'idle';
const listeners = new Set<() => void>();
const setConnection = (next: LiveConnection) => {
  if (next === connection) return;
  connection = next;
  for (const listener of listeners) listener();
};
/** The state of the page's one WebSocket, for the header's indicator. */
export const useLiveConnection = (): LiveConnection =>
  useSyncExternalStore(
    (l) => (listeners.add(l), () => listeners.delete(l)),
    () => connection,
  );

let client: Client | undefined;
let clientEpoch = -1;

/**
 * The page's WebSocket (graphql-transport-ws on /graphql): lazy, reconnecting with back-off, the
 * token in `connectionParams`. A 4403 close (token refused or expired) asks for a new token and stops
 * retrying; a new token (a new auth epoch) makes a new client.
 */
function liveClient(): Client {
  const { epoch } = auth.snapshot();
  if (client && clientEpoch === epoch) return client;
  void client?.dispose();
  clientEpoch = epoch;
  const url = new URL(ENDPOINT, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  let connectedOnce = false;
  client = createClient({
    url: url.href,
    lazy: true,
    lazyCloseTimeout: 2_000,
    retryAttempts: Infinity,
    shouldRetry: (event) => (event as { code?: number } | null)?.code !== FORBIDDEN,
    connectionParams: () => {
      const token = auth.token();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      connecting: () => setConnection(connectedOnce ? 'reconnecting' : 'connecting'),
      connected: () => {
        connectedOnce = true;
        setConnection('connected');
      },
      closed: (event) => {
        if ((event as { code?: number } | null)?.code === FORBIDDEN) {
          setConnection('needs-token');
          auth.require('The live stream was closed: the token was refused or has expired');
        } else setConnection(connectedOnce ? 'reconnecting' : 'idle');
      },
    },
  });
  return client;
}

export interface WatchHandlers {
  event(event: BatchEvent): void;
  /** The stream as a whole failed (e.g. TOO_MANY_SUBSCRIPTIONS); `retry` is planned by the caller. */
  failed(errors: GqlError[]): void;
  complete(): void;
}

/** One `batches(ids:)` subscription; returns its cancel function. */
export function watchBatches(ids: readonly string[], handlers: WatchHandlers): () => void {
  return liveClient().subscribe<WatchBatchesSubscription>(
    { query: WatchBatchesDocument.toString(), variables: { ids: [...ids] } },
    {
      next(result) {
        if (result.errors?.length) {
          const errors = result.errors as GqlError[];
          if (errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED'))
            auth.require(errors[0]?.message ?? 'The token has expired');
          handlers.failed(errors);
        }
        if (result.data?.batches) handlers.event(result.data.batches);
      },
      error(error) {
        if (Array.isArray(error)) handlers.failed(error as GqlError[]);
        else if ((error as { code?: number } | null)?.code === FORBIDDEN) handlers.failed([]);
        else handlers.failed([{ message: 'The live stream was interrupted', extensions: { code: 'NETWORK' } }]);
      },
      complete: () => handlers.complete(),
    },
  );
}
