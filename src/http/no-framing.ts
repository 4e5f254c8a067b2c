import type { Plugin } from 'graphql-yoga';

/**
 * No page of the gateway may be framed by another origin (or by its own: nothing of it needs framing), so
 * a page's buttons (the dashboard's Cancel and New batch, GraphiQL's Run) cannot be clickjacked. Every HTML
 * response carries the CSP directive, and `X-Frame-Options: DENY` for browsers without CSP level 2.
 */
const NO_FRAMING = "frame-ancestors 'none'";

/** The headers of an HTML response with policy `csp`, which must forbid framing itself. */
export function noFramingHeaders(csp: string): Record<string, string> {
  return { 'content-security-policy': withNoFraming(csp), 'x-frame-options': 'DENY' };
}

/** `csp` with its `frame-ancestors` directive (if any) replaced by `frame-ancestors 'none'`. */
export function withNoFraming(csp: string | null): string {
  const directives = (csp ?? '')
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  if (directives.some((d) => d.toLowerCase() === NO_FRAMING)) return directives.join('; ');
  return [...directives.filter((d) => !/^frame-ancestors(\s|$)/i.test(d)), NO_FRAMING].join('; ');
}

/**
 * The backstop: any HTML response the pages' own plugins did not mark (a yoga page, an error page, a
 * plugin added later) gets `frame-ancestors 'none'` added to its CSP (or as its CSP) and
 * `X-Frame-Options: DENY` on its way out.
 */
export function useNoFraming(): Plugin {
  return {
    onResponse({ response }) {
      const type = response.headers.get('content-type')?.toLowerCase() ?? '';
      if (!type.startsWith('text/html') && !type.startsWith('application/xhtml+xml')) return;
      response.headers.set('content-security-policy', withNoFraming(response.headers.get('content-security-policy')));
      response.headers.set('x-frame-options', 'DENY');
    },
  };
}
