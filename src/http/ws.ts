import type { Server } from 'node:http';
import { getOperationAST, type ExecutionArgs, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { createGraphQLError } from 'graphql-yoga';
import type { Gateway } from '../graphql/context.js';
import { persistedDocumentsOf, socketDocument } from '../graphql/persisted-documents.js';
import { authorizationOf, type Authenticator } from '../identity/auth.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../observability/request-scope.js';
import { longTimeout } from '../config/long-timeout.js';

/** Options of the WebSocket transport. */
export interface WsOptions {
  /** Subscriptions one socket may hold at once. */
  maxSubscriptionsPerConnection: number;
  /** Largest WebSocket message accepted (the HTTP body limit applies here too). */
  maxPayloadBytes: number;
  /** Checks `connectionParams` at `connection_init`: a refused client is closed (4403) before any subscribe. */
  authenticate: Authenticator;
  /** Where socket-level failures go (one debug line each), instead of graphql-ws's console output. */
  logger?: Logger;
}

/** The close code of a refused or expired authentication (graphql-ws's Forbidden). */
const CLOSE_FORBIDDEN = CloseCode.Forbidden;
/** How long after its token's expiry a socket is closed: time for the expiry errors of its subscriptions to go out. */
const EXPIRY_GRACE_MS = 100;

type Enveloped = ReturnType<Gateway['getEnveloped']>;

/**
 * graphql-ws on the gateway's own path (`/graphql`), through yoga's envelop so every plugin
 * (masking, notes, limits) applies to WebSocket operations as to HTTP ones.
 */
export function attachWebSocket(server: Server, gateway: Gateway, options: WsOptions): WebSocketTransport {
  const wss = new WebSocketServer({ server, path: gateway.graphqlEndpoint, maxPayload: options.maxPayloadBytes });
  let draining: { code: number; reason: string } | undefined;
  const perSocket = new WeakMap<WebSocket, number>();
  // Mutations in flight per socket (by operation id): a shutdown closes such a socket only once they have
  // answered, so a write's client gets its outcome (docs/writes.md, "Shutdown and dead replicas").
  const writing = new WeakMap<WebSocket, Set<string>>();
  const closeIfDone = (socket: WebSocket) => {
    if (!draining || (writing.get(socket)?.size ?? 0) > 0) return;
    // After the `complete` message of the last mutation has gone out.
    const { code, reason } = draining;
    setImmediate(() => socket.close(code, reason));
  };
  // One request id per connection (the upgrade's valid `x-request-id`, else a new one), echoed on the
  // 101 answer; every operation on the socket logs under it.
  const connectionIds = new WeakMap<IncomingMessage, string>();
  const connectionId = (request: IncomingMessage) => {
    let id = connectionIds.get(request);
    if (!id) connectionIds.set(request, (id = requestIdOf(headerOf(request.headers[REQUEST_ID_HEADER]))));
    return id;
  };
  wss.on('headers', (headers, request) => headers.push(`${REQUEST_ID_HEADER}: ${connectionId(request)}`));
  // One Fetch `Request` per connection (its upgrade's headers, with the connection's request id), shared
  // by the socket's operations, instead of one (headers, URL, signal: ~2 KiB) per subscription.
  const fetchRequests = new WeakMap<IncomingMessage, Request>();
  const fetchRequestOf = (request: IncomingMessage) => {
    let made = fetchRequests.get(request);
    if (!made) {
      const headers = new Headers();
      for (const [k, v] of Object.entries(request.headers)) if (typeof v === 'string') headers.set(k, v);
      headers.set(REQUEST_ID_HEADER, connectionId(request));
      // A POST: every operation of graphql-ws clients (Apollo's WebSocket link, urql) comes this way,
      // mutations included, which yoga refuses on a GET. It has no body: the operation is in the message.
      made = new Request(`http://localhost${request.url ?? '/graphql'}`, { method: 'POST', headers });
      fetchRequests.set(request, made);
    }
    return made;
  };
  const disposable = serve(
    {
      execute: (args) => (args.rootValue as { execute: Enveloped['execute'] }).execute(args as ExecutionArgs),
      subscribe: (args) => (args.rootValue as { subscribe: Enveloped['subscribe'] }).subscribe(args as ExecutionArgs),
      onConnect: async (ctx) => {
        let principal;
        try {
          principal = await options.authenticate(
            authorizationOf(undefined, ctx.connectionParams as Record<string, unknown> | undefined) ??
              headerOf(ctx.extra.request.headers.authorization),
          );
        } catch {
          return false;
        }
        // The socket lives as long as the token that opened it: at expiry its subscriptions end with
        // UNAUTHENTICATED (token-expiry.ts) and then the socket closes with 4403; reconnect with a new token.
        if (principal.expiresAt !== undefined) {
          const socket = ctx.extra.socket;
          const timer = longTimeout(
            () => socket.close(CLOSE_FORBIDDEN, 'Forbidden: token expired'),
            principal.expiresAt - Date.now() + EXPIRY_GRACE_MS,
          );
          socket.once('close', () => timer.clear());
        }
        return true;
      },
      onSubscribe: async (ctx, id, params) => {
        const socket = ctx.extra.socket;
        const active = perSocket.get(socket) ?? 0;
        if (active >= options.maxSubscriptionsPerConnection) {
          return [
            createGraphQLError(`at most ${options.maxSubscriptionsPerConnection} subscriptions per connection`, {
              extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ];
        }
        const request = ctx.extra.request;
        const fetchRequest = fetchRequestOf(request);
        const { schema, execute, subscribe, contextFactory, parse, validate } = gateway.getEnveloped({
          ...ctx,
          req: request,
          socket,
          request: fetchRequest,
          params,
          connectionParams: ctx.connectionParams,
        });
        // By id (the dashboard's documents, PERSISTED_OPERATIONS_FILE's), or the query where queries may run.
        const text = socketDocument(persistedDocumentsOf(gateway), params);
        if (typeof text !== 'string') return [text];
        let document;
        try {
          document = parse(text);
        } catch (error) {
          return [asGraphQLError(error, 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        if (getOperationAST(document, params.operationName)?.operation === 'mutation') {
          const ids = writing.get(socket) ?? new Set<string>();
          writing.set(socket, ids.add(id));
        }
        // Reserve the slot before awaiting, so concurrent subscribes cannot overshoot the cap.
        perSocket.set(socket, active + 1);
        let contextValue;
        try {
          // Authentication happens here (connection params); a refusal is an error message, not a dropped socket.
          contextValue = await contextFactory();
        } catch (error) {
          perSocket.set(socket, Math.max(0, (perSocket.get(socket) ?? 1) - 1));
          return [asGraphQLError(error, 'UNAUTHENTICATED')];
        }
        return {
          schema,
          document,
          operationName: params.operationName,
          variableValues: params.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
      // Every error that goes out on the socket, in `next` results (e.g. a variable that cannot be
      // coerced) and in `error` messages (validation, graphql-ws's own), is shaped for a socket.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map(forSocket) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map(forSocket),
      onComplete: (ctx, id) => {
        const socket = ctx.extra.socket;
        perSocket.set(socket, Math.max(0, (perSocket.get(socket) ?? 1) - 1));
        if (writing.get(socket)?.delete(id)) closeIfDone(socket);
      },
    },
    wss,
    options.logger,
    () => draining,
  );
  return {
    sockets: () => wss.clients.size,
    drain(code, reason) {
      draining = { code, reason };
      let closed = 0;
      for (const client of wss.clients) {
        if (client.readyState !== client.OPEN && client.readyState !== client.CONNECTING) continue;
        // A socket with a mutation in flight closes once it has answered (`closeIfDone`).
        if ((writing.get(client)?.size ?? 0) === 0) client.close(code, reason);
        closed++;
      }
      return closed;
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The WebSocket transport of one server. */
export interface WebSocketTransport {
  /** Open sockets. */
  sockets(): number;
  /**
   * Closes every open socket with `code` and `reason` (a shutdown: 1012 Service Restart, which
   * graphql-ws clients retry), and every socket that opens from now on; returns how many were open.
   */
  drain(code: number, reason: string): number;
  /** Terminates every socket and stops the server. */
  close(): Promise<void>;
}

type Extra = { socket: WebSocket; request: IncomingMessage };

/**
 * graphql-ws on a `ws` server: graphql-ws's own `makeServer` protocol engine with our glue, as
 * graphql-ws's `useServer` does, except that socket failures (an oversized frame, a broken
 * socket, a failing handler) are one pino line at debug, not a stack on stderr that any
 * unauthenticated client could make, and close reasons never carry an internal message.
 */
function serve(
  options: ServerOptions<Record<string, unknown> | undefined, Extra>,
  ws: WebSocketServer,
  logger?: Logger,
  draining: () => { code: number; reason: string } | undefined = () => undefined,
  keepAliveMs = 12_000,
): { dispose(): Promise<void> } {
  const server = makeServer(options);
  ws.options.handleProtocols = handleProtocols;
  const report = (what: string, error: unknown) =>
    // Not under `err`: the logger's error serializer keeps only the class of a non-Error; no stack either
    // (any client can cause these, one short line each is enough).
    logger?.debug(
      {
        wsError: {
          type: (error as Error | null)?.name,
          code: (error as { code?: unknown } | null)?.code,
          message: (error as Error | null)?.message,
        },
      },
      `websocket: ${what}`,
    );
  ws.on('error', (error) => report('server error', error));
  ws.on('connection', (socket, request) => {
    // An upgrade on a connection kept open during a shutdown: told to reconnect elsewhere at once.
    const closing = draining();
    if (closing) {
      socket.on('error', (error) => report('socket error while closing', error));
      return socket.close(closing.code, closing.reason);
    }
    socket.once('error', (error) => {
      report('socket error; closing it', error);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let pongWait: ReturnType<typeof setTimeout> | null = null;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (event) => {
            try {
              await cb(String(event));
            } catch (error) {
              report('message handling failed; closing the socket', error);
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(ping);
      void Promise.resolve(closed(code, String(reason))).catch((error: unknown) =>
        report('close handling failed', error),
      );
    });
  });
  return {
    dispose: async () => {
      for (const client of ws.clients) client.close(1001, 'Going away');
      ws.removeAllListeners();
    },
  };
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A GraphQLError to send back: the error's message and code when it has one, else a masked one.
 * Never yoga's `extensions.http` (status and headers mean nothing on a socket).
 */
export function asGraphQLError(error: unknown, fallbackCode: string): GraphQLError {
  const known = error instanceof Error && 'extensions' in error ? (error as GraphQLError) : undefined;
  const { http: _http, originalError: _original, ...extensions } = (known?.extensions ?? {}) as Record<string, unknown>;
  return createGraphQLError(known ? known.message : 'Unexpected error.', {
    ...(known ? { nodes: known.nodes, source: known.source, positions: known.positions, path: known.path } : {}),
    extensions: { ...extensions, code: extensions.code ?? fallbackCode },
  });
}

/**
 * An error as a socket sends it: the GraphQL error's JSON (message, locations, path) with its
 * extensions minus yoga's `http` (status and headers mean nothing on a socket) and any
 * `originalError`; one without a code (graphql-ws's "Unable to identify operation") gets
 * `BAD_REQUEST`.
 */
function forSocket(error: GraphQLError): GraphQLFormattedError {
  const json: GraphQLFormattedError =
    typeof error.toJSON === 'function' ? error.toJSON() : (error as GraphQLFormattedError);
  const { http: _http, originalError: _original, ...extensions } = (json.extensions ?? {}) as Record<string, unknown>;
  return { ...json, extensions: { ...extensions, code: extensions.code ?? 'BAD_REQUEST' } };
}
