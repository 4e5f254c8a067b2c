import type { TypedDocumentString } from '../__generated__/graphql';
import type { BatchProvider } from '../__generated__/graphql';
import { auth } from './auth';

/** The gateway's GraphQL endpoint, on the page's own origin. */
export const ENDPOINT = '/graphql';

/** An error as the gateway sends it: `extensions.code` always, `extensions.provider` for upstream failures. */
export interface GqlError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; provider?: BatchProvider; retryAfterMs?: number; [key: string]: unknown };
}

export interface GqlResult<T> {
  data?: T | null;
  errors?: GqlError[];
}

const isUnauthenticated = (errors: readonly GqlError[] | undefined) =>
  errors?.find((e) => e.extensions?.code === 'UNAUTHENTICATED');

/** Headers of every request: the CSRF header (multipart uploads are "simple" requests) and the token. */
function headers(json: boolean): Record<string, string> {
  const out: Record<string, string> = {
    accept: 'application/graphql-response+json, application/json',
    'x-batchql-csrf': '1',
  };
  if (json) out['content-type'] = 'application/json';
  const token = auth.token();
  if (token) out.authorization = `Bearer ${token}`;
  return out;
}

/**
 * The request's document: its id (`documentId`, the client preset's `sha256:<hex>`) when codegen gave it one. The
 * gateway loads the dashboard's manifest from the build (persisted-documents.json), so the page works when the
 * gateway runs only persisted documents (`PERSISTED_OPERATIONS_FILE`); the text otherwise. Over HTTP and the
 * WebSocket (`live.ts`) alike.
 */
export function documentOf(document: {
  __meta__?: Record<string, unknown> | undefined;
}): { documentId: string } | { query: string } {
  const id: unknown = document.__meta__?.['hash'];
  return typeof id === 'string' ? { documentId: id } : { query: document.toString() };
}

/**
 * Runs a typed operation over `POST /graphql`, sending its document by id (`documentOf`). A gateway that does not
 * hold the id (a dev server in front of an older build, a page older than an upgrade) gets the text once more,
 * unless it runs only persisted documents; then its answer is the first one. Never throws: a network failure is an
 * error with code `NETWORK`; an UNAUTHENTICATED answer asks for a token. `files` sends the GraphQL multipart
 * request (each file at `variables.<name>`).
 */
export async function gql<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: { signal?: AbortSignal; files?: Record<string, File> } = {},
): Promise<GqlResult<TResult>> {
  const sent = documentOf(document);
  const first = await post<TResult>({ ...sent, variables }, options);
  if (!('documentId' in sent) || !hasCode(first.errors, 'PERSISTED_DOCUMENT_NOT_FOUND')) return first;
  const again = await post<TResult>({ query: document.toString(), variables }, options);
  return hasCode(again.errors, 'PERSISTED_DOCUMENT_REQUIRED') ? first : again;
}

const hasCode = (errors: readonly GqlError[] | undefined, code: string) =>
  errors?.some((e) => e.extensions?.code === code) ?? false;

async function post<TResult>(
  params: object,
  options: { signal?: AbortSignal; files?: Record<string, File> },
): Promise<GqlResult<TResult>> {
  const operations = JSON.stringify(params);
  let body: BodyInit = operations;
  if (options.files) {
    const form = new FormData();
    const names = Object.keys(options.files);
    form.set('operations', operations);
    form.set('map', JSON.stringify(Object.fromEntries(names.map((name, i) => [String(i), [`variables.${name}`]]))));
    names.forEach((name, i) => form.set(String(i), options.files![name]!));
    body = form;
  }
  let response: Response;
  try {
    response = await fetch(ENDPOINT, {
      method: 'POST',
      headers: headers(!options.files),
      body,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    return { errors: [{ message: 'The gateway cannot be reached', extensions: { code: 'NETWORK' } }] };
  }
  let result: GqlResult<TResult>;
  try {
    result = (await response.json()) as GqlResult<TResult>;
  } catch {
    result = {
      errors: [{ message: `The gateway answered HTTP ${response.status}`, extensions: { code: 'BAD_RESPONSE' } }],
    };
  }
  const refused = isUnauthenticated(result.errors);
  if (refused || response.status === 401) auth.require(refused?.message ?? 'The gateway asks for a bearer token');
  return result;
}
