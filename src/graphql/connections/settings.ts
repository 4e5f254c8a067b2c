import { env, fragment } from '../../config/settings.js';

/** Settings of list connections. */
export interface ListSettings {
  /** HMAC key of connection cursors; replicas behind one load balancer need the same one. */
  cursorSecret: string;
  /** How long an upstream list page is reused while a client pages on (ms). */
  pageCacheTtlMs: number;
  /** How many upstream list pages are kept at most. */
  pageCacheMaxPages: number;
}

/** `CURSOR_SECRET` and the list page cache. */
export const listSettings = fragment(
  {
    CURSOR_SECRET: env
      .text()
      .meta({ fallback: 'derived from the provider credentials' })
      .describe(
        'HMAC key of connection cursors; set the same value on every replica (the derived default already is, ' +
          'when replicas share credentials)',
      ),
    LIST_PAGE_CACHE_TTL_MS: env
      .int(30_000, 0, 3_600_000)
      .describe('how long an upstream list page is reused while clients page on (`0` disables the cache)'),
    LIST_PAGE_CACHE_MAX_PAGES: env.int(2_000, 1, 1_000_000).describe('upstream list pages kept at most (LRU)'),
  },
  (v) => ({
    cursorSecret: v.CURSOR_SECRET,
    pageCacheTtlMs: v.LIST_PAGE_CACHE_TTL_MS,
    pageCacheMaxPages: v.LIST_PAGE_CACHE_MAX_PAGES,
  }),
  { title: 'Lists' },
);
