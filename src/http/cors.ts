import type { Plugin } from 'graphql-yoga';
import { env, fragment } from '../config/settings.js';

/** What yoga's CORS plugin is told for one request (`false`: no CORS headers). */
export type CorsDecision = { origin: string; credentials: boolean } | false;

/**
 * yoga's `cors` option for an allow-list of origins (`CORS_ORIGINS`, validated by `config.ts`):
 * an origin on the list gets `Access-Control-Allow-Origin: <origin>` with credentials; with `*`
 * on the list any other origin is let in without credentials; every other origin gets no CORS
 * header at all, so the browser keeps the response from the page (preflights included). An empty
 * list grants no cross-origin access; same-origin requests need none.
 */
export function corsPolicy(allowed: readonly string[]): (request: Request) => CorsDecision {
  const origins = new Set(allowed.filter((o) => o !== '*'));
  const anyOrigin = allowed.includes('*');
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null) return false;
    if (origins.has(origin)) return { origin, credentials: true };
    if (anyOrigin) return { origin: '*', credentials: false };
    return false;
  };
}

/**
 * When the allow-list names origins, a response's CORS headers depend on the request's Origin:
 * every response says `Vary: Origin`, so no cache hands one origin's answer to another. Appended
 * after yoga's CORS plugin has written its headers (which may replace `Vary`).
 */
export function useVaryOrigin(allowed: readonly string[]): Plugin {
  const varies = allowed.some((o) => o !== '*');
  return {
    onResponse({ response }) {
      if (varies) appendVary(response.headers, 'Origin');
    },
  };
}

/** Adds names to `Vary`, keeping what is there (case-insensitively, once each). */
export function appendVary(headers: Headers, ...names: string[]): void {
  const current = (headers.get('vary') ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (current.includes('*')) return;
  const lower = new Set(current.map((v) => v.toLowerCase()));
  const added = names.filter((n) => !lower.has(n.toLowerCase()));
  if (added.length > 0) headers.set('vary', [...current, ...added].join(', '));
}

/**
 * `CORS_ORIGINS`: a comma-separated list of origins, each `http(s)://host[:port]` (no path,
 * query or user; kept in the form browsers send: lower-case host, default port left out), or
 * `*`. Unset: none.
 */
export const corsSettings = fragment(
  {
    CORS_ORIGINS: env
      .custom((raw, refuse): string[] => {
        if (raw === undefined) return [];
        const out: string[] = [];
        for (const entry of raw
          .split(',')
          .map((e) => e.trim())
          .filter((e) => e !== '')) {
          if (entry === '*') {
            out.push(entry);
            continue;
          }
          const url = URL.canParse(entry) ? new URL(entry) : undefined;
          // Scheme, a host name (IDNs arrive as punycode) or IP address, a port: no wildcard, user or path.
          const origin =
            url !== undefined &&
            (url.protocol === 'http:' || url.protocol === 'https:') &&
            /^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname) &&
            !url.username &&
            !url.password &&
            /^[^/]+\/\/[^/?#]+\/?$/.test(entry);
          if (!origin || !url) return refuse(`has "${entry}", which is not an origin: use http(s)://host[:port] or *`);
          out.push(url.origin);
        }
        return out;
      })
      .meta({ fallback: '— (no cross-origin access)', allowed: '`http(s)://host[:port]` (no path), or `*`' })
      .describe(
        'comma-separated origins whose pages may call the gateway, answered with ' +
          '`Access-Control-Allow-Origin: <origin>`, credentials allowed and `Vary: Origin`; `*` admits any other ' +
          'origin without credentials ([security.md](security.md#cors))',
      ),
  },
  (v) => v.CORS_ORIGINS,
  { title: 'CORS' },
);
