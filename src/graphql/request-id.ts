import type { Plugin } from 'graphql-yoga';
import { REQUEST_ID_HEADER, requestIdOf } from '../observability/request-scope.js';

const ids = new WeakMap<Request, string>();

/** The id of a request: its valid `x-request-id`, else one made now and kept for the request's lifetime. */
export function requestIdFor(request: Request | undefined): string {
  if (!request) return requestIdOf(undefined);
  let id = ids.get(request);
  if (!id) ids.set(request, (id = requestIdOf(request.headers.get(REQUEST_ID_HEADER))));
  return id;
}

/**
 * Request ids: every request gets its id as it comes in (`x-request-id` when valid, else a UUID), the
 * one its context (`requestId`), its log lines and its access line carry, and its response echoes in
 * `x-request-id`. First in the plugin list, so every request the gateway's plugins see has one; a
 * response yoga's own plugins make before (`/health`) has none.
 */
export function useRequestIds(): Plugin {
  return {
    onRequest({ request }) {
      requestIdFor(request);
    },
    onResponse({ request, response }) {
      const id = ids.get(request);
      if (id) response.headers.set(REQUEST_ID_HEADER, id);
    },
  };
}
