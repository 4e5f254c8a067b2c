import { getOperationAST, parse } from 'graphql';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';

/** The bytes of a request's GraphQL parameters: its Content-Length, else what the parameters hold. */
function sizeOf(request: Request, params: GraphQLParams): number {
  const length = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(length)) return length;
  let files = 0;
  const walk = (value: unknown, depth: number): void => {
    if (depth > 20 || value === null || typeof value !== 'object') return;
    if (value instanceof Blob) files += value.size;
    else for (const item of Object.values(value)) walk(item, depth + 1);
  };
  walk(params.variables, 0);
  return files + Buffer.byteLength(JSON.stringify(params, (_k, v: unknown) => (v instanceof Blob ? null : v)));
}

/**
 * Two body limits on one endpoint: the HTTP layer lets bodies up to `MAX_MUTATION_BODY_BYTES` through
 * (`runtime.ts`), and here, once yoga has parsed the parameters, a body over `MAX_BODY_BYTES` is refused
 * with 413 `PAYLOAD_TOO_LARGE` unless its operation is a mutation. The document is parsed for that only
 * when the body is over the read limit (with the token limit, so a huge document costs little).
 */
export function useBodyLimits(maxBodyBytes: number, maxTokens: number): Plugin {
  return {
    onParams({ request, params, setResult }) {
      if (sizeOf(request, params) <= maxBodyBytes) return;
      let mutation = false;
      try {
        const document = parse(params.query ?? '', { maxTokens });
        mutation = getOperationAST(document, params.operationName)?.operation === 'mutation';
      } catch {
        // Not a parseable mutation: refused below like any other large body.
      }
      if (mutation) return;
      setResult({
        errors: [
          createGraphQLError(
            `request body larger than ${maxBodyBytes} bytes (MAX_BODY_BYTES); only mutations may be larger ` +
              '(MAX_MUTATION_BODY_BYTES)',
            { extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } } },
          ),
        ],
      });
    },
  };
}
