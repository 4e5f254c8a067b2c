import { LRUCache } from 'lru-cache';
import type { ListPage } from '../../domain/listing.js';
import { SharedCalls } from '../../upstream/shared-calls.js';

/**
 * Upstream list pages shared by all requests for a short time, keyed by everything that shapes
 * the page (provider, credential scope, pushed-down filter and order, position, size). The
 * k-way merge re-reads the page a cursor points into; the cache makes that free, so walking a
 * merged list costs each provider no more requests than walking its own list. Concurrent
 * identical reads share one in-flight read, reference-counted: it is aborted only when every
 * request waiting for it has gone. Failures are not kept.
 */
export class PageCache {
  private readonly pages: LRUCache<string, ListPage> | null;
  private readonly inFlight = new SharedCalls<ListPage>();

  constructor(ttlMs: number, maxPages: number) {
    this.pages = ttlMs > 0 ? new LRUCache<string, ListPage>({ max: maxPages, ttl: ttlMs }) : null;
  }

  /** The cached page, or a read by `load` (called only when no identical read is in flight). */
  get(
    key: string,
    signal: AbortSignal | undefined,
    load: (signal: AbortSignal) => Promise<ListPage>,
  ): Promise<ListPage> {
    if (!this.pages) return this.inFlight.run(key, signal, load);
    const cached = this.pages.get(key);
    if (cached) return Promise.resolve(cached);
    return this.inFlight.run(key, signal, (s) =>
      load(s).then((page) => {
        this.pages?.set(key, page);
        return page;
      }),
    );
  }

  clear(): void {
    this.pages?.clear();
  }

  /** Drops the pages whose key starts with `prefix` (one provider and scope, after a write changed its list). */
  forget(prefix: string): void {
    if (!this.pages) return;
    for (const key of [...this.pages.keys()]) if (key.startsWith(prefix)) this.pages.delete(key);
  }
}
