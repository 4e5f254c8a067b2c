import type { Plugin } from 'graphql-yoga';

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
