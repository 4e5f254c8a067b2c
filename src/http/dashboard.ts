import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';
import { appendVary } from './cors.js';
import { noFramingHeaders } from './no-framing.js';
import { contentTag, EncodedBodies, matchesEtag, negotiateEncoding } from './static-body.js';

/** Where the dashboard is served; `/` redirects here. */
const DASHBOARD_PATH = '/dashboard';

/**
 * The built dashboard (`npm run build`: dist/dashboard/): beside the compiled gateway's http/ folder
 * (this module runs as dist/http/dashboard.js), or in dist/ beside src/ when the gateway runs from
 * source (src/http/dashboard.ts: demo, tests).
 */
export function dashboardDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'dashboard'), join(here, '..', '..', 'dist', 'dashboard')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};
/** Worth compressing (woff2 and png are compressed already). */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json']);

/**
 * The page's own policy: everything from this origin (scripts, styles, the GraphQL endpoint and its
 * WebSocket), nothing inline but React's style properties, no framing.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

interface FileEntry {
  mtimeMs: number;
  size: number;
  etag: string;
  bodies: EncodedBodies;
}

/**
 * Serves the dashboard from the gateway, offline and without a token (its data asks for one):
 * `GET /dashboard` (and `/dashboard/`) is the page, `/dashboard/assets/*` its hashed bundle files
 * (cached for a year, immutable); the page itself is `no-cache` with an ETag, so a new build is
 * picked up at once and an unchanged one costs a 304. Bodies are compressed per `Accept-Encoding`
 * (br, gzip) on first demand and kept while the file is unchanged on disk. `GET /` redirects to the
 * page. Without a build (`npm run build`) the page answers 503 saying so.
 */
export function useDashboard(options: { dir?: string } = {}): Plugin {
  const cache = new Map<string, FileEntry>();
  const served = new WeakSet<Response>();

  const load = (file: string): FileEntry | undefined => {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) return undefined;
    let entry = cache.get(file);
    if (!entry || entry.mtimeMs !== stat.mtimeMs || entry.size !== stat.size) {
      const bytes = readFileSync(file);
      entry = { mtimeMs: stat.mtimeMs, size: stat.size, etag: contentTag(bytes), bodies: new EncodedBodies(bytes, 9) };
      cache.set(file, entry);
    }
    return entry;
  };
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const path = url.pathname;
      if (path === '/') {
        endResponse(new fetchAPI.Response(null, { status: 302, headers: { location: `${DASHBOARD_PATH}/` } }));
        return;
      }
      if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return;
      const dir = options.dir ?? dashboardDir();
      const target = dashboardFile(dir, path.slice(DASHBOARD_PATH.length + 1));
      if (!target) {
        endResponse(notFound(fetchAPI));
        return;
      }
      const { file, page } = target;
      const entry = load(file);
      if (!entry) {
        endResponse(
          page
            ? new fetchAPI.Response('The dashboard is not built: run `npm run build` (or `npm run demo`).\n', {
                status: 503,
                headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
              })
            : notFound(fetchAPI),
        );
        return;
      }
      const ext = extname(file);
      const encoding = COMPRESSIBLE.has(ext) ? negotiateEncoding(request.headers.get('accept-encoding')) : 'identity';
      const tag = `"${entry.etag}-${encoding}"`;
      const headers: Record<string, string> = {
        etag: tag,
        'cache-control': page ? 'no-cache' : 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        // On assets too (harmless on a script or style): whatever a path serves, it is never framed.
        ...noFramingHeaders(DASHBOARD_CSP),
      };
      if (page) headers['referrer-policy'] = 'no-referrer';
      if (matchesEtag(request.headers.get('if-none-match'), tag)) {
        const response = new fetchAPI.Response(null, { status: 304, headers });
        served.add(response);
        endResponse(response);
        return;
      }
      return entry.bodies.get(encoding).then((bytes) => {
        if (encoding !== 'identity') headers['content-encoding'] = encoding;
        headers['content-type'] = TYPES[ext] ?? 'application/octet-stream';
        headers['content-length'] = String(bytes.length);
        const body = request.method === 'HEAD' ? null : (bytes as Uint8Array<ArrayBuffer>);
        const response = new fetchAPI.Response(body, { status: 200, headers });
        served.add(response);
        endResponse(response);
      });
    },
    onResponse({ response }) {
      if (served.has(response)) appendVary(response.headers, 'Accept-Encoding');
    },
  };
}

/**
 * The file a path under `/dashboard/` names (`rest`: what follows `/dashboard/`), decided on the decoded path:
 * the page (`''` or `index.html`), a file inside `assets/`, or nothing (undefined: 404). An encoded `/`, `\` or
 * `.` changes nothing: after decoding, a `.` or `..` segment, an empty one (`//`), a backslash, a NUL or a
 * malformed escape names nothing, so no spelling of a path reaches a file outside `assets/`, nor serves the
 * page as an asset.
 */
export function dashboardFile(dir: string, rest: string): { file: string; page: boolean } | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  if (decoded === '' || decoded === 'index.html') return { file: join(dir, 'index.html'), page: true };
  if (decoded.includes('\\') || decoded.includes('\0')) return undefined;
  const [top, ...segments] = decoded.split('/');
  if (top !== 'assets' || segments.length === 0 || segments.some((s) => s === '' || s === '.' || s === '..'))
    return undefined;
  const assets = join(dir, 'assets');
  const file = join(assets, ...segments);
  return file.startsWith(assets + sep) ? { file, page: false } : undefined;
}

function notFound(fetchAPI: { Response: typeof Response }): Response {
  return new fetchAPI.Response('Not found\n', {
    status: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}
