import type { Server } from 'node:http';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { createGraphQLError } from 'graphql-yoga';
import type { Gateway } from '../server.js';
import { authorizationOf, type Authenticator } from '../auth.js';

/** Options of the WebSocket transport. */
export interface WsOptions {
  /** Subscriptions one socket may hold at once. */
  maxSubscriptionsPerConnection: number;
  /** Largest WebSocket message accepted (the HTTP body limit applies here too). */
  maxPayloadBytes: number;
  /** Checks `connectionParams` at `connection_init`: a refused client is closed (4403) before any subscribe. */
  authenticate: Authenticator;
}

type Enveloped = ReturnType<Gateway['getEnveloped']>;

/**
 * graphql-ws on the gateway's own path (`/graphql`), through yoga's envelop so every plugin
 * (masking, notes, limits) applies to WebSocket operations as to HTTP ones.
 */
export function attachWebSocket(server: Server, gateway: Gateway, options: WsOptions): { close(): Promise<void>; sockets(): number } {
  const wss = new WebSocketServer({ server, path: gateway.graphqlEndpoint, maxPayload: options.maxPayloadBytes });
  const perSocket = new WeakMap<WebSocket, number>();
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as { execute: Enveloped['execute'] }).execute(args as ExecutionArgs),
      subscribe: (args) => (args.rootValue as { subscribe: Enveloped['subscribe'] }).subscribe(args as ExecutionArgs),
      onConnect: async (ctx) => {
        try {
          await options.authenticate(authorizationOf(undefined, ctx.connectionParams as Record<string, unknown> | undefined) ?? headerOf(ctx.extra.request.headers.authorization));
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        const socket = ctx.extra.socket;
        const active = perSocket.get(socket) ?? 0;
        if (active >= options.maxSubscriptionsPerConnection) {
          return [createGraphQLError(`at most ${options.maxSubscriptionsPerConnection} subscriptions per connection`, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })];
        }
        const request = ctx.extra.request;
        const headers = new Headers();
        for (const [k, v] of Object.entries(request.headers)) if (typeof v === 'string') headers.set(k, v);
        const fetchRequest = new Request(`http://localhost${request.url ?? '/graphql'}`, { headers });
        const { schema, execute, subscribe, contextFactory, parse, validate } = gateway.getEnveloped({
          ...ctx,
          req: request,
          socket,
          request: fetchRequest,
          params,
          connectionParams: ctx.connectionParams,
        });
        let document;
        try {
          document = parse(params.query);
        } catch (error) {
          return [asGraphQLError(error, 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
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
        return { schema, document, operationName: params.operationName, variableValues: params.variables, contextValue, rootValue: { execute, subscribe } };
      },
      onComplete: (ctx) => {
        const socket = ctx.extra.socket;
        perSocket.set(socket, Math.max(0, (perSocket.get(socket) ?? 1) - 1));
      },
    },
    wss,
  );
  return {
    sockets: () => wss.clients.size,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A GraphQLError to send back: the error itself when it is one (with its code), else a masked one. */
function asGraphQLError(error: unknown, fallbackCode: string): GraphQLError {
  if (error instanceof Error && 'extensions' in error && (error as GraphQLError).extensions?.code) return error as GraphQLError;
  return createGraphQLError(error instanceof Error && 'extensions' in error ? error.message : 'Unexpected error.', { extensions: { code: fallbackCode } });
}
