import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { shouldRenderGraphiQL, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import { appendVary } from './cors.js';
import { noFramingHeaders } from './no-framing.js';
import { contentTag, EncodedBodies, matchesEtag, negotiateEncoding, type Encoding } from './static-body.js';

/**
 * The page is at the unversioned `/graphql`, so a browser must ask again each time (`no-cache`);
 * with the ETag that costs a 304 with no body. `Vary`: the same URL answers JSON to other Accept
 * headers, and the body depends on Accept-Encoding.
 */
export const GRAPHIQL_CACHE_CONTROL = 'public, no-cache';
const VARY = ['Accept', 'Accept-Encoding'];

/**
 * The page's policy: never framed (its Run button must not be clickjacked), no `<base>`, no plugins. Its
 * scripts, styles and workers are inline, so nothing else is restricted.
 */
export const GRAPHIQL_CSP = ["frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"].join('; ');

/** One tab GraphiQL opens with (yoga's `defaultTabs`): its query, and its variables as a JSON text. */
export type GraphiQLTab = NonNullable<GraphiQLOptions['defaultTabs']>[number];

/**
 * GraphiQL that works offline: `@graphql-yoga/render-graphiql` inlines every script, style, worker
 * and the favicon (about 9 MB), where yoga's own page loads them from unpkg.com. The page is
 * rendered on the first request, compressed per encoding on first demand (off the event loop, in
 * zlib's thread pool) and kept: br about 1.9 MB, gzip about 2.4 MB. Served for a GET of the
 * endpoint that accepts `text/html`, as yoga's GraphiQL is (set yoga's `graphiql: false`).
 */
export function useOfflineGraphiQL(options: GraphiQLOptions, endpoint = '/graphql'): Plugin {
  // Rendered on the first request; brotli at quality 6, since the page is about 9 MB.
  let page: { bodies: EncodedBodies; etag: string } | undefined;
  const served = new WeakSet<Response>();
  const body = (encoding: Encoding): Promise<{ bytes: Uint8Array; etag: string }> => {
    if (!page) {
      const bytes = Buffer.from(renderGraphiQL(options));
      page = { bodies: new EncodedBodies(bytes, 6), etag: contentTag(bytes) };
    }
    const { bodies, etag } = page;
    return bodies.get(encoding).then((bytes) => ({ bytes, etag: `${etag}-${encoding}` }));
  };
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (!shouldRenderGraphiQL(request)) return;
      if (url.pathname !== endpoint && url.pathname !== `${endpoint}/`) return;
      const encoding = negotiateEncoding(request.headers.get('accept-encoding'));
      return body(encoding).then(({ bytes, etag }) => {
        const tag = `"${etag}"`;
        const headers: Record<string, string> = {
          etag: tag,
          'cache-control': GRAPHIQL_CACHE_CONTROL,
          ...noFramingHeaders(GRAPHIQL_CSP),
        };
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
