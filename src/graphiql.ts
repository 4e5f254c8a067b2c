import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { shouldRenderGraphiQL, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import { appendVary } from './cors.js';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The encodings the page is served in, best first. */
type Encoding = 'br' | 'gzip' | 'identity';
const PREFERENCE: Encoding[] = ['br', 'gzip', 'identity'];

/**
 * The page is at the unversioned `/graphql`, so a browser must ask again each time (`no-cache`);
 * with the ETag that costs a 304 with no body. `Vary`: the same URL answers JSON to other Accept
 * headers, and the body depends on Accept-Encoding.
 */
export const GRAPHIQL_CACHE_CONTROL = 'public, no-cache';
const VARY = ['Accept', 'Accept-Encoding'];

/** One representation of the page. */
interface Body {
  bytes: Uint8Array;
  etag: string;
}

/**
 * GraphiQL that works offline: `@graphql-yoga/render-graphiql` inlines every script, style, worker
 * and the favicon (about 9 MB), where yoga's own page loads them from unpkg.com. The page is
 * rendered on the first request, compressed per encoding on first demand (off the event loop, in
 * zlib's thread pool) and kept: br about 1.9 MB, gzip about 2.4 MB. Served for a GET of the
 * endpoint that accepts `text/html`, as yoga's GraphiQL is (set yoga's `graphiql: false`).
 */
export function useOfflineGraphiQL(options: GraphiQLOptions, endpoint = '/graphql'): Plugin {
  let identity: Body | undefined;
  const encoded = new Map<Encoding, Promise<Body>>();
  const served = new WeakSet<Response>();
  const page = (): Body => {
    if (!identity) {
      const bytes = Buffer.from(renderGraphiQL(options));
      identity = { bytes, etag: createHash('sha256').update(bytes).digest('base64url').slice(0, 27) };
    }
    return identity;
  };
  const body = (encoding: Encoding): Promise<Body> => {
    let pending = encoded.get(encoding);
    if (!pending) {
      const { bytes, etag } = page();
      pending = (
        encoding === 'br'
          ? brotli(bytes, {
              params: {
                [zlibConstants.BROTLI_PARAM_QUALITY]: 6,
                [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
              },
            })
          : encoding === 'gzip'
            ? gzipAsync(bytes, { level: 9 })
            : Promise.resolve(bytes)
      ).then((out) => ({ bytes: out, etag: `${etag}-${encoding}` }));
      // A failed compression is retried by the next request rather than cached.
      pending.catch(() => encoded.delete(encoding));
      encoded.set(encoding, pending);
    }
    return pending;
  };
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (!shouldRenderGraphiQL(request)) return;
      if (url.pathname !== endpoint && url.pathname !== `${endpoint}/`) return;
      const encoding = negotiateEncoding(request.headers.get('accept-encoding'));
      return body(encoding).then(({ bytes, etag }) => {
        const tag = `"${etag}"`;
        const headers: Record<string, string> = { etag: tag, 'cache-control': GRAPHIQL_CACHE_CONTROL };
        let response: Response;
        if (matchesEtag(request.headers.get('if-none-match'), tag)) {
          response = new fetchAPI.Response(null, { status: 304, headers });
        } else {
          if (encoding !== 'identity') headers['content-encoding'] = encoding;
          headers['content-type'] = 'text/html; charset=utf-8';
          headers['content-length'] = String(bytes.length);
          // zlib and Buffer.from allocate plain ArrayBuffers, never shared ones.
          response = new fetchAPI.Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers });
        }
        served.add(response);
        endResponse(response);
      });
    },
    // Here rather than at creation: yoga's CORS plugin may replace `Vary` on its way out.
    onResponse({ response }) {
      if (served.has(response)) appendVary(response.headers, ...VARY);
    },
  };
}

/**
 * The best encoding the client accepts (RFC 9110 §12.5.3): highest q first, then br, gzip,
 * identity. identity is acceptable unless refused (`identity;q=0`, or `*;q=0` without it); a
 * client refusing everything still gets identity, the only thing every client can read.
 */
export function negotiateEncoding(header: string | null): Encoding {
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(value) ? value : 0);
  }
  const star = q.get('*');
  const weight = (e: Encoding) => q.get(e) ?? (e === 'identity' ? (star ?? 0.001) : (star ?? 0));
  let best: Encoding = 'identity';
  let bestWeight = 0;
  for (const e of PREFERENCE) {
    const w = weight(e);
    if (w > bestWeight) {
      best = e;
      bestWeight = w;
    }
  }
  return best;
}

/** `If-None-Match`: a list of (possibly weak) tags, or `*`. */
export function matchesEtag(header: string | null, tag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const value = t.trim();
    return value === '*' || value === tag || value === `W/${tag}`;
  });
}
