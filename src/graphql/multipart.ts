import { createFetch, type FormDataLimits } from '@whatwg-node/fetch';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';

/**
 * The limits of a GraphQL multipart request (busboy's, through `@whatwg-node/fetch`'s `formDataLimits`),
 * fitted to uploads of one `File` argument (a provider's upload mutation): the `operations` and `map`
 * fields and one file. The file may be as large as a mutation body (`MAX_MUTATION_BODY_BYTES`); the text
 * fields are GraphQL parameters, which `MAX_BODY_BYTES` bounds in any other request.
 */
function multipartLimits(o: { maxBodyBytes: number; maxMutationBodyBytes: number }): FormDataLimits {
  return {
    files: 1,
    fileSize: o.maxMutationBodyBytes,
    fields: 2,
    fieldSize: o.maxBodyBytes,
    parts: 3,
    // Bytes of one part's headers (busboy's `headerSize`): a Content-Disposition with a file name and a Content-Type.
    headerSize: 8 * 1024,
  };
}

/** Yoga's `fetchAPI`: the Fetch classes of `@whatwg-node/fetch`, whose `formData()` keeps to `multipartLimits`. */
export function multipartFetchAPI(o: { maxBodyBytes: number; maxMutationBodyBytes: number }) {
  return createFetch({ formDataLimits: multipartLimits(o) });
}

const badRequest = (message: string) =>
  createGraphQLError(`Malformed multipart request: ${message} (GraphQL multipart request spec)`, {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });

/** busboy's refusals as `@whatwg-node/node-fetch` words them: every one is a limit of `multipartLimits`. */
const LIMIT = /^(Files|Fields|Parts) limit exceeded|^File size limit exceeded|^Field (value|name) size exceeded/;

const isAbort = (error: unknown) =>
  error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');

const isMultipart = (request: Request) => {
  const type = request.headers.get('content-type')?.split(',')[0]?.trim().toLowerCase();
  return type === 'multipart/form-data' || type?.startsWith('multipart/form-data;') === true;
};

/** Path segments a `map` entry may not name: they would reach an object's prototype. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** Puts `file` at `path` (dot-separated) in `operations`, making missing or null objects on the way. */
function place(operations: object, path: string, file: unknown, name: string): void {
  const segments = path.split('.');
  if (segments.some((s) => s === '' || FORBIDDEN_SEGMENTS.has(s)))
    throw badRequest(`"map" entry "${name}" has an invalid path`);
  let current = operations as Record<string, unknown>;
  for (const segment of segments.slice(0, -1)) {
    const next = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (next === undefined || next === null) current = current[segment] = {};
    else if (typeof next === 'object') current = next as Record<string, unknown>;
    else throw badRequest(`"map" entry "${name}" has a path through a value that is not an object`);
  }
  current[segments.at(-1)!] = file;
}

/**
 * Parses a GraphQL multipart request (`operations`, `map`, files) as yoga would, but with every malformed
 * shape a 400 `BAD_REQUEST` instead of a TypeError (500): `operations` must be a JSON object (or a list),
 * `map` a JSON object of lists of paths, each naming a file part. A request past a limit of
 * `multipartLimits` is 413 `PAYLOAD_TOO_LARGE`.
 */
async function parseMultipart(request: Request): Promise<GraphQLParams | GraphQLParams[]> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    if (isAbort(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    if (LIMIT.test(reason))
      throw createGraphQLError(
        `Multipart request over the gateway's limits (${reason}): one file, the fields "operations" and "map", ` +
          'each field at most MAX_BODY_BYTES (docs/writes.md, "Body limits")',
        { extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } } },
      );
    throw badRequest('the body is not readable multipart/form-data');
  }
  const json = (name: string): unknown => {
    const value = form.get(name);
    if (typeof value !== 'string') throw badRequest(`the field "${name}" must be a text field`);
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw badRequest(`the field "${name}" must be JSON`);
    }
  };
  if (form.get('operations') === null) throw badRequest('the field "operations" is missing');
  const operations = json('operations');
  if (typeof operations !== 'object' || operations === null)
    throw badRequest('"operations" must be a JSON object (or a list of them)');
  if (form.get('map') !== null) {
    const map = json('map');
    if (typeof map !== 'object' || map === null || Array.isArray(map))
      throw badRequest('"map" must be a JSON object of lists of paths');
    for (const [name, paths] of Object.entries(map)) {
      if (!Array.isArray(paths) || !paths.every((p): p is string => typeof p === 'string'))
        throw badRequest(`"map" entry "${name}" must be a list of paths`);
      const file = form.get(name);
      if (file === null || typeof file === 'string') throw badRequest(`"map" entry "${name}" names no file part`);
      for (const path of paths) place(operations, path, file, name);
    }
  }
  return operations as GraphQLParams | GraphQLParams[];
}

/**
 * The gateway's own multipart parser, in place of yoga's (`multipart: false` in `createYoga`): the form
 * is read with the limits of `multipartFetchAPI`, and a malformed `operations` or `map` is a 400.
 */
export function useMultipartRequests(): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method === 'POST' && isMultipart(request)) setRequestParser(parseMultipart);
    },
  };
}
