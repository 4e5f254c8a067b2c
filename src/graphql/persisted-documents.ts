import { existsSync, readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
import { ConfigError } from '../config/settings.js';
import { ErrorCode } from '../domain/errors.js';

/** The file, beside the built dashboard (dist/dashboard/), holding its documents by id (`npm run build`). */
const DASHBOARD_MANIFEST = 'persisted-documents.json';

/** Documents by id (ids as `normalizeId` makes them), and whether only they may run. */
export interface PersistedDocumentSet {
  documents: ReadonlyMap<string, string>;
  persistedOnly: boolean;
}

const SHA256 = /^(?:sha256:)?([0-9a-f]{64})$/i;

/**
 * One spelling per id: graphql-codegen's client preset writes `sha256:<hex>` (the GraphQL over HTTP
 * appendix's document identifier), Apollo sends bare hex; both become lower-case bare hex. Any other id
 * (a custom hash function's) is kept as it is.
 */
function normalizeId(id: string): string {
  const hex = SHA256.exec(id)?.[1];
  return hex ? hex.toLowerCase() : id;
}

/**
 * A manifest `{ "<id>": "<document>" }` (the client preset's `persisted-documents.json`, or an Apollo-style
 * list by bare hex): a missing, unreadable or malformed file is a `ConfigError` naming `what` and the path.
 */
export function readManifest(path: string, what: string): Map<string, string> {
  const problem = (why: string) => new ConfigError(`${what} ${JSON.stringify(path)} ${why}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw problem('does not exist');
    throw problem(`cannot be read${code ? ` (${code})` : ''}`);
  }
  let store: unknown;
  try {
    store = JSON.parse(text);
  } catch {
    throw problem('is not valid JSON');
  }
  if (typeof store !== 'object' || store === null || Array.isArray(store))
    throw problem('must be a JSON object of document id to document');
  const documents = new Map<string, string>();
  for (const [id, document] of Object.entries(store)) {
    if (typeof document !== 'string')
      throw problem(`maps ${JSON.stringify(id)} to a ${typeof document}, not a document string`);
    documents.set(normalizeId(id), document);
  }
  return documents;
}

/** The dashboard's manifest in `dir` (the built dashboard), or none when the dashboard is not built. */
export function readDashboardManifest(dir: string | undefined): Map<string, string> {
  const path = dir === undefined ? undefined : `${dir}/${DASHBOARD_MANIFEST}`;
  if (path === undefined || !existsSync(path)) return new Map();
  return readManifest(path, 'The dashboard manifest');
}

/** The id a request names: the client preset's `documentId`, or Apollo's `extensions.persistedQuery.sha256Hash`. */
function requestedId(params: { documentId?: unknown; extensions?: unknown }): string | undefined {
  if (typeof params.documentId === 'string') return params.documentId;
  const apollo = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  if (apollo?.version === 1 && typeof apollo.sha256Hash === 'string') return apollo.sha256Hash;
  return undefined;
}

const refusal = (code: string, message: string) =>
  createGraphQLError(message, { extensions: { code, http: { status: 400 } } });
const notFound = (id: string | undefined) =>
  refusal(
    ErrorCode.PERSISTED_DOCUMENT_NOT_FOUND,
    `No persisted document has the id ${JSON.stringify(id)}: ` +
      'add it to PERSISTED_OPERATIONS_FILE (or reload the dashboard after an upgrade)',
  );
const required = (why: string) =>
  refusal(
    ErrorCode.PERSISTED_DOCUMENT_REQUIRED,
    `This gateway runs only persisted documents (PERSISTED_OPERATIONS_FILE): ${why} ` + '(docs/persisted-documents.md)',
  );
const QUERY_REFUSED =
  "a query body is refused, so ad-hoc documents (GraphiQL's among them) cannot run here; send the documentId " +
  'of a document in the list instead';

/**
 * Documents by id (docs/persisted-documents.md): always the built dashboard's, and the operator's
 * `PERSISTED_OPERATIONS_FILE` when set, which also turns persisted-only on (`persistedOnly`): then a
 * request must name a document by id, and a query body is refused with `PERSISTED_DOCUMENT_REQUIRED`.
 * An id is `documentId` (the client preset) or `extensions.persistedQuery.sha256Hash` (Apollo), either
 * spelling (`sha256:<hex>` or bare hex); one no manifest holds is `PERSISTED_DOCUMENT_NOT_FOUND`. When a
 * request sends both an id and a query, a known id decides; an unknown one falls back to the query where
 * queries may run (Apollo's automatic persisted queries send both after a miss).
 */
export function persistedDocumentPlugins({ documents, persistedOnly }: PersistedDocumentSet): Plugin[] {
  const known = (id: string | undefined) => id !== undefined && documents.has(normalizeId(id));
  return [
    // First: one of the id and the query, never both (the query is checked by yoga, which knows no `documentId`).
    {
      onParams({ params, setParams }) {
        const raw = params as GraphQLParams & { documentId?: unknown };
        if (raw.documentId !== undefined && typeof raw.documentId !== 'string')
          throw createGraphQLError('documentId must be a string', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        const id = requestedId(raw);
        if (id === undefined || !raw.query) return;
        const { documentId: _id, query, ...rest } = raw;
        if (known(id) || persistedOnly) setParams({ ...rest, ...(_id !== undefined ? { documentId: _id } : {}) });
        else setParams({ ...rest, query, extensions: withoutApolloHash(rest.extensions) });
      },
    },
    usePersistedOperations({
      allowArbitraryOperations: !persistedOnly,
      extractPersistedOperationId: (params) => requestedId(params) ?? null,
      getPersistedOperation: (id: string) => documents.get(normalizeId(id)) ?? null,
      customErrors: {
        notFound: (payload) => notFound(requestedId(payload.params)),
        keyNotFound: () =>
          persistedOnly ? required('send a documentId') : refusal('BAD_REQUEST', 'Send a query or a documentId'),
        persistedQueryOnly: () => required(QUERY_REFUSED),
      },
    }),
  ];
}

/**
 * The document of a graphql-ws `subscribe` payload, by the rules of `persistedDocumentPlugins` (graphql-ws needs a
 * `query` string: a client sending an id sends it empty): the text to parse, or the refusal.
 */
export function socketDocument(
  { documents, persistedOnly }: PersistedDocumentSet,
  payload: { query?: string; documentId?: unknown; extensions?: unknown },
): string | GraphQLError {
  if (payload.documentId !== undefined && typeof payload.documentId !== 'string')
    return createGraphQLError('documentId must be a string', { extensions: { code: 'BAD_REQUEST' } });
  const id = requestedId(payload);
  if (id !== undefined) {
    const stored = documents.get(normalizeId(id));
    if (stored !== undefined) return stored;
    if (persistedOnly || !payload.query) return notFound(id);
  } else if (persistedOnly) return required(QUERY_REFUSED);
  return payload.query ?? '';
}

/** The sets of gateways (`createGateway`), for their WebSocket transport (`http/ws.ts`). */
const socketSets = new WeakMap<object, PersistedDocumentSet>();
export const registerPersistedDocuments = (gateway: object, set: PersistedDocumentSet): void =>
  void socketSets.set(gateway, set);
/** A gateway's documents by id; none (every query runs) for one `createGateway` did not make. */
export const persistedDocumentsOf = (gateway: object): PersistedDocumentSet =>
  socketSets.get(gateway) ?? { documents: new Map(), persistedOnly: false };

/** The extensions without Apollo's `persistedQuery` (a query that runs as sent needs no id). */
function withoutApolloHash(extensions: GraphQLParams['extensions']): GraphQLParams['extensions'] {
  if (!extensions || !('persistedQuery' in extensions)) return extensions;
  const { persistedQuery: _hash, ...rest } = extensions;
  return rest;
}
