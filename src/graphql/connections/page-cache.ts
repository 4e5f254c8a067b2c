import { LRUCache } from 'lru-cache';
import type { ListPage } from '../../domain/listing.js';

/**
 * Upstream list pages shared by all requests for a short time, keyed by everything that shapes
 * the page (provider, credential scope, pushed-down filter and order, position, size). The
 * k-way merge re-reads the page a cursor points into; the cache makes that free, so walking a
 * merged list costs each provider no more requests than walking its own list. Concurrent
 * identical reads share one in-flight promise; failures are not kept.
 */
export class PageCache {
  private readonly pages: LRUCache<string, Promise<ListPage>> | null;

  constructor(ttlMs: number, maxPages: number) {
    this.pages = ttlMs > 0 ? new LRUCache<string, Promise<ListPage>>({ max: maxPages, ttl: ttlMs }) : null;
  }

  get(key: string, load: () => Promise<ListPage>): Promise<ListPage> {
    if (!this.pages) return load();
    const cached = this.pages.get(key);
    if (cached) return cached;
    const pending = load();
    this.pages.set(key, pending);
    pending.catch(() => {
      if (this.pages?.get(key) === pending) this.pages.delete(key);
    });
    return pending;
  }

  clear(): void {
    this.pages?.clear();
  }
}
