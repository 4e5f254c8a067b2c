import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
import { env, fragment } from '../config/settings.js';
import {
  persistedDocumentPlugins,
  readDashboardManifest,
  readManifest,
  type PersistedDocumentSet,
} from './persisted-documents.js';

/** Limits on what one request may ask (docs/security.md, "Hostile queries"). */
export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  /** Largest request body accepted for a query or a subscription (and every WebSocket message). */
  maxBodyBytes: number;
  /**
   * Largest request body accepted for a mutation (file uploads included); a body between the two
   * limits is parsed, then refused unless its operation is a mutation (`useBodyLimits`).
   */
  maxMutationBodyBytes: number;
  introspection: boolean;
  /** Require the CSRF header on requests a browser sends without a preflight. */
  csrf: boolean;
  /**
   * A JSON file `{ "<id>": "<document>" }` (ids `sha256:<hex>` or bare hex): when set, only these documents
   * and the dashboard's run (docs/persisted-documents.md).
   */
  persistedOperationsFile?: string;
}

/** `MAX_QUERY_*`, `MAX_BODY_BYTES`, `INTROSPECTION`, `CSRF_PREVENTION` and `PERSISTED_OPERATIONS_FILE`. */
export const queryLimitSettings = fragment(
  {
    MAX_QUERY_DEPTH: env.int(12, 1, 1_000).describe('graphql-armor depth limit'),
    MAX_QUERY_COST: env.int(20_000, 1, 10_000_000).describe('graphql-armor cost limit'),
    MAX_QUERY_ALIASES: env.int(20, 0, 10_000).describe('graphql-armor alias limit'),
    MAX_QUERY_DIRECTIVES: env.int(20, 0, 10_000).describe('graphql-armor directive limit'),
    MAX_QUERY_TOKENS: env.int(2_000, 1, 10_000_000).describe('graphql-armor token limit'),
    MAX_BODY_BYTES: env
      .int(100_000, 100, 100_000_000)
      .describe(
        'larger query and subscription bodies, and WebSocket messages, get 413; larger bodies are read only from ' +
          'a caller with the write scope ([writes.md](writes.md#body-limits))',
      ),
    // The largest provider file limit (docs/providers.md), so such an upload fits in one request.
    MAX_MUTATION_BODY_BYTES: env
      .int(10 * 1024 * 1024, 100, 1_000_000_000)
      .describe('larger mutation bodies (uploads included) get 413 (10 MB by default)'),
    INTROSPECTION: env.bool(true).describe('`false` refuses introspection and hides "Did you mean" field suggestions'),
    CSRF_PREVENTION: env
      .bool(true)
      .describe(
        'requests a browser sends without a preflight need an `x-batchql-csrf` header ' +
          '([security.md](security.md#csrf))',
      ),
    PERSISTED_OPERATIONS_FILE: env
      .text()
      .describe(
        'JSON `{ "<id>": "<document>" }` (a client preset `persisted-documents.json`: ids `sha256:<hex>` or ' +
          "bare hex): only these documents and the dashboard's run, named by `documentId` or Apollo's " +
          '`extensions.persistedQuery.sha256Hash` ([persisted-documents.md](persisted-documents.md)); a missing, ' +
          'unreadable or malformed file stops start-up, naming the variable and the path',
      ),
  },
  (v): QueryLimits => ({
    maxDepth: v.MAX_QUERY_DEPTH,
    maxCost: v.MAX_QUERY_COST,
    maxAliases: v.MAX_QUERY_ALIASES,
    maxDirectives: v.MAX_QUERY_DIRECTIVES,
    maxTokens: v.MAX_QUERY_TOKENS,
    maxBodyBytes: v.MAX_BODY_BYTES,
    maxMutationBodyBytes: v.MAX_MUTATION_BODY_BYTES,
    introspection: v.INTROSPECTION,
    csrf: v.CSRF_PREVENTION,
    ...(v.PERSISTED_OPERATIONS_FILE ? { persistedOperationsFile: v.PERSISTED_OPERATIONS_FILE } : {}),
  }),
  {
    title: 'Queries',
    says: 'What one request may ask ([security.md](security.md#hostile-queries)), and how large it may be.',
    rules: [
      {
        says: '`MAX_MUTATION_BODY_BYTES` may not be below `MAX_BODY_BYTES`.',
        check: (v, fail) => {
          if (v.MAX_MUTATION_BODY_BYTES < v.MAX_BODY_BYTES)
            fail(
              `MAX_MUTATION_BODY_BYTES (${v.MAX_MUTATION_BODY_BYTES}) must not be below ` +
                `MAX_BODY_BYTES (${v.MAX_BODY_BYTES})`,
            );
        },
      },
    ],
  },
);

/** Makes an armor validation rule report its refusal through the validation context. */
const reportInsteadOfThrow = {
  propagateOnRejection: false,
  onReject: [
    (context: unknown, error: GraphQLError) =>
      (context as { reportError?: (e: GraphQLError) => void } | null)?.reportError?.(error),
  ],
};

/** Headers that prove a request was preflighted (any one). */
const CSRF_HEADERS = ['x-batchql-csrf', 'x-graphql-yoga-csrf', 'apollo-require-preflight'];

/**
 * The request-shape defences: graphql-armor's depth, cost, alias, directive and token limits
 * (and hidden field suggestions when introspection is off), yoga's CSRF prevention (an
 * EventSource GET for a live stream is let through: it cannot set headers, and a subscription
 * changes nothing), introspection switch, and persisted documents (`persistedDocuments`: the
 * dashboard's, and the operator's, which turn persisted-only on).
 */
export function securityPlugins(limits: QueryLimits, persisted?: PersistedDocumentSet): Plugin[] {
  const plugins: Plugin[] = [
    useSupportedMethods(),
    useLimitErrorCodes(),
    EnvelopArmorPlugin({
      // Reported as validation errors (all of them, with a code) rather than thrown one by one.
      maxDepth: { n: limits.maxDepth, ...reportInsteadOfThrow },
      costLimit: { maxCost: limits.maxCost, ...reportInsteadOfThrow },
      maxAliases: { n: limits.maxAliases, ...reportInsteadOfThrow },
      maxDirectives: { n: limits.maxDirectives, ...reportInsteadOfThrow },
      maxTokens: { n: limits.maxTokens },
      blockFieldSuggestion: { enabled: !limits.introspection },
    }) as Plugin,
  ];
  if (!limits.introspection) plugins.push(useDisableIntrospection());
  if (limits.csrf) {
    const csrf = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
    plugins.push({
      onRequestParse(payload) {
        const { request } = payload;
        const isEventSource =
          request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/event-stream');
        if (isEventSource) return;
        try {
          return csrf.onRequestParse?.(payload);
        } catch {
          throw createGraphQLError(
            'Refused as a possible cross-site request: send one of the headers ' +
              `${CSRF_HEADERS.join(', ')} (any value), or POST application/json`,
            {
              extensions: { code: 'CSRF_REFUSED', http: { status: 403 } },
            },
          );
        }
      },
    });
  }
  plugins.push(...persistedDocumentPlugins(persisted ?? persistedDocuments(limits, undefined)));
  return plugins;
}

/**
 * The documents that run by id: always the built dashboard's (its manifest in `dashboardDir`, when served), and
 * `PERSISTED_OPERATIONS_FILE`'s, which also turns persisted-only on.
 */
export function persistedDocuments(limits: QueryLimits, dashboardDir: string | undefined): PersistedDocumentSet {
  const documents = readDashboardManifest(dashboardDir);
  if (limits.persistedOperationsFile)
    for (const [id, document] of readPersistedOperations(limits.persistedOperationsFile)) documents.set(id, document);
  return { documents, persistedOnly: limits.persistedOperationsFile !== undefined };
}

/**
 * The persisted documents of `PERSISTED_OPERATIONS_FILE`, ids normalized: a missing, unreadable or malformed file
 * is a `ConfigError` naming the variable and the path.
 */
export function readPersistedOperations(path: string): Map<string, string> {
  return readManifest(path, 'PERSISTED_OPERATIONS_FILE');
}

/**
 * `/graphql` speaks GET and POST (and SSE over both). graphql-sse's single connection mode
 * reserves a stream with `PUT`: say plainly that it is not supported, before CSRF prevention
 * would complain about a missing header instead.
 */
function useSupportedMethods(): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method === 'GET' || request.method === 'POST') return;
      const message =
        request.method === 'PUT'
          ? "graphql-sse's single connection mode (PUT /graphql) is not supported: " +
            'use its distinct connections mode (singleConnection: false), or graphql-ws'
          : `${request.method} is not supported on /graphql: use GET or POST`;
      throw createGraphQLError(message, {
        extensions: { code: 'METHOD_NOT_SUPPORTED', http: { status: 405, headers: { allow: 'GET, POST' } } },
      });
    },
  };
}

const LIMIT_MESSAGE = /(depth|cost|aliases|directives|token)s? limit/i;

/**
 * graphql-armor reports its refusals without `extensions.code`; give every validation or
 * parse error one: `QUERY_TOO_COMPLEX` for a limit, else `GRAPHQL_VALIDATION_FAILED` or
 * `GRAPHQL_PARSE_FAILED`.
 */
function useLimitErrorCodes(): Plugin {
  const withCode = (
    error: GraphQLError,
    fallback: 'GRAPHQL_VALIDATION_FAILED' | 'GRAPHQL_PARSE_FAILED',
  ): GraphQLError => {
    if (error.extensions?.code) return error;
    const code = LIMIT_MESSAGE.test(error.message) ? 'QUERY_TOO_COMPLEX' : fallback;
    return createGraphQLError(error.message.replace(/^Syntax Error: /, ''), {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { ...error.extensions, code },
    });
  };
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map((e) => withCode(e as GraphQLError, 'GRAPHQL_VALIDATION_FAILED')));
      };
    },
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof Error && 'extensions' in result)
          replaceParseResult(withCode(result as GraphQLError, 'GRAPHQL_PARSE_FAILED'));
      };
    },
  };
}
