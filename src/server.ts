import { useChangedResults } from './graphql/changed-results.js';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { GraphQLSchema } from 'graphql';
import {
  createContext,
  type GatewayServices,
  type LedgerServices,
  type NotificationServices,
  type Gateway,
  type GraphQLContext,
  type ListServices,
  type LiveServices,
  type WriteServices,
} from './graphql/context.js';
import { useBodyLimits } from './graphql/body-limits.js';
import { multipartFetchAPI, useMultipartRequests } from './graphql/multipart.js';
import type { UpstreamLimits } from './upstream/limits.js';
import { useResponseNotes } from './graphql/notes.js';
import { pino, type Logger } from 'pino';
import { yogaLogger } from './observability/logging.js';
import { authorizationOf, type Authenticator } from './identity/auth.js';
import { clientIdentity } from './identity/identity.js';
import { persistedDocuments, securityPlugins, type QueryLimits } from './graphql/security.js';
import { registerPersistedDocuments } from './graphql/persisted-documents.js';
import { maskError } from './graphql/errors.js';
import { useLazyParallelValidation } from './graphql/lazy-validation.js';
import { costTable, useUpstreamBudget } from './graphql/upstream-cost.js';
import { useTokenExpiry } from './graphql/token-expiry.js';
import { createSchema } from './graphql/schema.js';
import { createPayloadRenderer } from './graphql/webhook-payload.js';
import type { ConsoleSettings } from './graphql/console-settings.js';
import type { Providers } from './domain/provider.js';
import { PROVIDER_DEFINITIONS, type AnyProviderDefinition } from './providers/index.js';
import { useOfflineGraphiQL, type GraphiQLTab } from './http/graphiql.js';
import { dashboardDir, useDashboard } from './http/dashboard.js';
import { useNoFraming } from './http/no-framing.js';
import { corsPolicy, useVaryOrigin } from './http/cors.js';
import { requestIdFor, useRequestIds } from './graphql/request-id.js';
import { useOperations } from './graphql/operations.js';
import { traceOperations } from './graphql/operation-tracing.js';
import { operationScope } from './graphql/operation-scope.js';
import { accessLog } from './graphql/access-log.js';
import { operationMetrics, useSseStreamCount, type OperationObserver } from './graphql/operation-metrics.js';
import { useClientRateLimit, type ClientRateLimiter, type RefusedTransport } from './graphql/rate-limit.js';
import type { Tracing } from './observability/tracing-types.js';
import { operationSpans } from './graphql/tracing.js';

/** What the gateway is built from; tests inject providers pointed at simulators. */
export interface GatewayOptions {
  /** Every provider the schema and `Query.providers` know. @default PROVIDER_DEFINITIONS */
  definitions?: readonly AnyProviderDefinition[];
  /** The configured ones' adapters. */
  providers: Providers;
  limits: Pick<UpstreamLimits, 'perRequestConcurrency' | 'maxCallsPerRequest' | 'requestDeadlineMs'>;
  /** Cursor codec and upstream list page cache. */
  lists: ListServices;
  /** The poll hub behind subscriptions. */
  live: LiveServices;
  /** Idempotency keys and the write scope (`JWT_WRITE_SCOPE`). */
  writes: WriteServices;
  /** The ledger, when on (`LEDGER`). @default off */
  ledger?: LedgerServices;
  /** Webhooks (`NOTIFICATIONS`); their payloads are rendered through this gateway's schema. @default off */
  notifications?: NotificationServices;
  /** The operator console's settings (`CONSOLE_*`). @default their defaults */
  console?: ConsoleSettings;
  /** Where yoga's own reports go (sanitised). */
  logger?: Logger;
  /** Verifies the caller (JWT) and yields its tenant. @default everyone, no tenant */
  authenticate?: Authenticator;
  /** Query shape limits, introspection, CSRF, persisted operations (`MAX_QUERY_*`…). */
  queries: QueryLimits;
  /** Proxy hops whose `X-Forwarded-For` is trusted when identifying clients (`identity.ts`, `TRUST_PROXY`). */
  trustProxy: number;
  /** Show GraphiQL at GET /graphql (self-contained, see `graphiql.ts`). @default true */
  graphiql?: boolean;
  /**
   * The tabs GraphiQL opens with, each with its variables (the demo's examples). @default one tab, the gateway's
   * own document: providers, lists, a watch
   */
  graphiqlTabs?: readonly GraphiQLTab[];
  /** Origins granted cross-origin access (`CORS_ORIGINS`; `*`: any, without credentials). @default none */
  corsOrigins?: readonly string[];
  /**
   * The inbound limit per client (`RATE_LIMIT_PER_MINUTE`), undefined when off; `perMinute` names it in
   * refusals; `onRefused` is told each refusal (metrics).
   */
  rateLimit?: {
    limiter: ClientRateLimiter | undefined;
    perMinute: number;
    onRefused?: (transport: RefusedTransport) => void;
  };
  /** Pre-built schema (tests reuse one). */
  schema?: GraphQLSchema;
  /** Told every finished operation and SSE stream (metrics). */
  operations?: OperationObserver;
  /** With tracing on: a server span per operation (`graphql/tracing.ts`). @default off */
  tracing?: Tracing;
  /**
   * Yoga's own body limit, in bytes; off by default, because the HTTP server in front of the
   * gateway refuses bodies over MAX_BODY_BYTES first (`runtime.ts`). @default false
   */
  maxRequestBodySize?: number | false;
  /** More plugins, after the gateway's own (`runtime.ts` adds the shutdown drain's). */
  plugins?: Plugin[];
  /**
   * Serve the built dashboard at GET /dashboard, and redirect GET / there (`dashboard.ts`); `dir` is
   * where the build is. @default on, from dist/dashboard/
   */
  dashboard?: boolean | { dir: string };
}

/** The gateway: a yoga instance usable as a Node request listener or through `.fetch`. */

/** Where a context keeps its logger once made (`LAZY_LOG`). */
const REQUEST_LOGGER = Symbol('batchql.requestLogger');

/**
 * Creates the GraphQL gateway (HTTP and SSE; `runtime.ts` adds WebSocket). Errors are masked
 * except `GatewayError`s, which carry `extensions.code`; `/health` answers liveness.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { lists, live } = options;
  const definitions = options.definitions ?? PROVIDER_DEFINITIONS;
  const providerNames = definitions.map((d) => d.name);
  const authenticate: Authenticator = options.authenticate ?? (async () => ({}));
  const corsOrigins = options.corsOrigins ?? [];
  const logger = options.logger ?? pino({ level: 'silent' });
  const { writes, queries } = options;
  // One getter for every context (a new one per request would give each context a shape of its
  // own, and V8 would keep them as hash tables): the request's pino child, made on first use.
  const LAZY_LOG: PropertyDescriptor = {
    configurable: true,
    enumerable: true,
    get(this: GraphQLContext & { [REQUEST_LOGGER]?: Logger }): Logger {
      return (this[REQUEST_LOGGER] ??= logger.child({ requestId: this.requestId }));
    },
  };
  // Shared by every request's context as one property (`GraphQLContext.gateway`).
  const gateway: GatewayServices = {
    definitions,
    providerNames,
    providers: options.providers,
    lists,
    live,
    writes,
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(options.notifications ? { notifications: options.notifications } : {}),
    ...(options.console ? { console: options.console } : {}),
  };
  // Documents by id: the dashboard's (read from where it is served, when it is) and PERSISTED_OPERATIONS_FILE's.
  const persisted = persistedDocuments(
    queries,
    options.dashboard === false
      ? undefined
      : typeof options.dashboard === 'object'
        ? options.dashboard.dir
        : dashboardDir(),
  );
  const schema = options.schema ?? createSchema(definitions);
  // Webhook payloads go through the served schema (docs/notifications.md, "Payload").
  options.notifications?.service?.worker.useRenderer(createPayloadRenderer(schema, gateway, logger));
  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    // yoga's own GraphiQL loads its assets from unpkg.com; ours is self-contained (plugin below).
    graphiql: false,
    cors: corsPolicy(corsOrigins),
    maskedErrors: { maskError },
    logging: options.logger ? yogaLogger(options.logger) : false,
    // The body limit is the runtime's (`limitBody` in runtime.ts, MAX_BODY_BYTES, before yoga reads a
    // byte). Yoga's own (25 MB by default) pipes every POST body through a TransformStream whose
    // pipeline listeners stay on the request for as long as its response lives: ~11 KiB per SSE stream.
    maxRequestBodySize: options.maxRequestBodySize ?? false,
    // Multipart requests are parsed by `useMultipartRequests` (a malformed `map` is a 400, not a 500), with
    // busboy's limits (one file, two fields, three parts) given through the Fetch classes yoga builds requests with.
    multipart: false,
    fetchAPI: multipartFetchAPI(queries),
    // SSE on /graphql is yoga's own, which is graphql-sse's "distinct connections" mode. (The
    // single-connection plugin was left out: it answers its own failures with stack traces.)
    plugins: [
      useRequestIds(),
      // First, so every later plugin (access line, metrics, token expiry) sees only the results that go out.
      useChangedResults(),
      // Each operation's jobs, in the order they need each other: its span, the scope that carries
      // the span, then the access line and the metrics, which report the operation once it is over.
      useOperations([
        ...(options.tracing ? [traceOperations(operationSpans(options.tracing.tracer))] : []),
        operationScope(),
        accessLog(logger),
        operationMetrics(options.operations),
      ]),
      useSseStreamCount(options.operations),
      ...(options.graphiql === false
        ? []
        : [
            useOfflineGraphiQL(
              // Persisted-only: GraphiQL's documents are arbitrary and cannot run; its one tab says so.
              persisted.persistedOnly
                ? { title: 'batchql (persisted documents only)', defaultQuery: PERSISTED_ONLY_NOTICE }
                : options.graphiqlTabs
                  ? { title: 'batchql', defaultTabs: [...options.graphiqlTabs] }
                  : { title: 'batchql', defaultQuery: DEFAULT_QUERY },
            ),
          ]),
      useVaryOrigin(corsOrigins),
      ...securityPlugins(queries, persisted),
      // Every rule above and graphql-js's own, run as one: the same errors for a fraction of the setup.
      useLazyParallelValidation(),
      useMultipartRequests(),
      useBodyLimits(queries.maxBodyBytes, queries.maxTokens),
      // Before the upstream estimate: a client over its limit costs one counter increment, nothing more.
      useClientRateLimit(options.rateLimit?.limiter, options.rateLimit?.perMinute ?? 0, options.rateLimit?.onRefused),
      useUpstreamBudget(costTable(definitions)),
      useTokenExpiry(),
      // GET /dashboard and its assets, and / (a redirect): answered in onRequest, so no plugin after it sees them.
      ...(options.dashboard === false
        ? []
        : [useDashboard(typeof options.dashboard === 'object' ? options.dashboard : {})]),
      useResponseNotes(),
      // Every HTML response, whichever plugin made it: `frame-ancestors 'none'` and `X-Frame-Options: DENY`.
      useNoFraming(),
      ...(options.plugins ?? []),
    ],
    context: async (initial) => {
      const principal = await authenticate(
        authorizationOf(initial.request, (initial as { connectionParams?: Record<string, unknown> }).connectionParams),
      );
      const req = (initial as { req?: { socket?: { remoteAddress?: string } } }).req;
      const client = clientIdentity(
        principal,
        { remoteAddress: req?.socket?.remoteAddress, forwardedFor: initial.request?.headers.get('x-forwarded-for') },
        options.trustProxy,
      );
      const requestId = requestIdFor(initial.request);
      // `initial` is the context itself (envelop merges what this returns into it), so it needs no
      // copy; its logger, a pino child with `requestId`, is made on first use: most operations log
      // nothing but their access line, which needs none.
      Object.defineProperty(initial, 'log', LAZY_LOG);
      return {
        requestId,
        ...createContext({ gateway, limits: options.limits }, principal, client, initial.request?.signal),
      } as GraphQLContext;
    },
  }) as Gateway;
  // The WebSocket transport (`http/ws.ts`) parses subscribe payloads itself, by the same rules.
  registerPersistedDocuments(yoga, persisted);
  return yoga;
}

/** GraphiQL's one tab when the gateway runs only persisted documents. */
const PERSISTED_ONLY_NOTICE = `# This gateway runs only persisted documents (PERSISTED_OPERATIONS_FILE is set).
#
# GraphiQL sends each document as a query body, so nothing typed here can run: every request,
# the schema's introspection among them, is refused with PERSISTED_DOCUMENT_REQUIRED.
# Applications send the id of a document in the list instead (documentId, or Apollo's
# extensions.persistedQuery.sha256Hash): see docs/persisted-documents.md.
# To explore the schema, use a gateway without PERSISTED_OPERATIONS_FILE (npm run demo).
`;

const DEFAULT_QUERY = /* GraphQL */ `
  # Which providers are configured, and what can each do?
  query Providers {
    providers {
      provider
      configured
      canList
      canCancel
      pagination
      circuit
    }
  }

  # The newest batches of every provider that can list, as one Relay connection.
  query NewestBatches($after: String) {
    batches(first: 10, after: $after) {
      totalCount
      excludedProviders {
        provider
        reason
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          provider
          status
          providerStatus
          createdAt
          progress {
            percent
          }
        }
      }
    }
  }

  # Live progress: paste an id from NewestBatches.
  subscription Watch($id: ID!) {
    batch(id: $id) {
      status
      isTerminal
      observedAt
      stale
      progress {
        processed
        total
        percent
        ratePerSecond
        estimatedCompletionAt
      }
    }
  }
`;
