import type { Batch, ProviderName } from '../../domain/batch.js';
import {
  compareAcrossProviders,
  isPastCreatedBound,
  matchesFilter,
  sortKey,
  type BatchListFilter,
  type ListOrder,
  type ListPage,
  type PageRef,
} from '../../domain/listing.js';

/**
 * Where one provider's stream stands after an edge: the upstream page it is in (`t` token, `n`
 * size), how many of that page's items were consumed (`k`) and, for offset-paged providers,
 * the created time of the last item emitted and the ids emitted at that time (`lk`, `li`) to skip items that shifted
 * down when new batches arrived. `null` = exhausted.
 */
export interface SourcePosition {
  t: string | number | null;
  n: number;
  k: number;
  lk?: number | null;
  li?: string[];
}

/** Every provider's position. */
export type Positions = Partial<Record<ProviderName, SourcePosition | null>>;
/** Every provider's last known upstream total. */
export type Totals = Partial<Record<ProviderName, number | null>>;

/**
 * The upstream page size of a provider whose filter is partly applied in the gateway: read big
 * pages, skip more per request.
 */
const FILTERED_PAGE_SIZE = 100;

/** One provider's ordered list, as the merge reads it. */
export interface ListSource {
  provider: ProviderName;
  /** True when the upstream applies the whole filter, so its totals are exact. */
  exact: boolean;
  /** Offset-paged upstream: positions are absolute offsets. */
  offsetBased: boolean;
  /** The token of the first page (null for a cursor, 0 for an offset). */
  firstToken: string | number | null;
  /** The provider's list rank: the tie-break among equal sort keys (else the sources' order). */
  rank?: number;
  /** The rows come from the ledger (a provider without a list), not from the provider. */
  ledger?: boolean;
  fetch(ref: PageRef): Promise<ListPage>;
}

/** A page of the merged list. */
export interface MergedPage {
  edges: { node: Batch; positions: Positions; totals: Totals }[];
  hasNextPage: boolean;
  /** Where the next page starts (the last edge's positions, or where scanning stopped on an empty page). */
  resume: { positions: Positions; totals: Totals };
  /** Upstream totals per provider (fresh, or as last seen by the cursor); null when unknown. */
  totals: Totals;
  failures: { provider: ProviderName; error: unknown }[];
}

/** How many ids sharing the last creation time a cursor remembers. */
const MAX_TIED = 20;

/** At most this many upstream pages are read per provider for one gateway page (gateway-side filters can skip many). */
export const MAX_PAGES_PER_SOURCE = 10;

class Stream {
  private pos: SourcePosition | null;
  private page: ListPage | undefined;
  private fetches = 0;
  failure: unknown;
  capped = false;
  total: number | null | undefined;

  constructor(
    readonly source: ListSource,
    start: SourcePosition | null,
    total: number | null | undefined,
    private readonly pageSize: number,
    private readonly filter: BatchListFilter,
    private readonly order: ListOrder,
  ) {
    this.pos = start ? { ...start } : null;
    this.total = total;
  }

  /** The next batch of this stream that passes the filter, reading pages as needed; null at the end. */
  async head(): Promise<Batch | null> {
    for (;;) {
      if (this.pos === null || this.failure !== undefined || this.capped) return null;
      if (this.page === undefined) {
        if (this.fetches >= MAX_PAGES_PER_SOURCE) {
          this.capped = true;
          return null;
        }
        this.fetches++;
        try {
          this.page = await this.source.fetch({ token: this.pos.t, size: this.pos.n });
          if (this.page.total !== undefined) this.total = this.page.total;
        } catch (error) {
          this.failure = error;
          return null;
        }
      }
      const items = this.page.items;
      while (this.pos.k < items.length) {
        const item = items[this.pos.k]!;
        if (isPastCreatedBound(item, this.filter, this.order)) {
          this.pos = null;
          return null;
        }
        if (matchesFilter(item, this.filter) && !this.seenBefore(item)) return item;
        this.pos.k++;
      }
      if (this.page.next === null) {
        this.pos = null;
        return null;
      }
      this.pos = { t: this.page.next, n: this.pageSize, k: 0, lk: this.pos.lk, li: this.pos.li };
      this.page = undefined;
    }
  }

  /** Consumes the current head (call after `head()` returned it). */
  take(item: Batch): void {
    if (!this.pos) return;
    this.pos.k++;
    if (this.source.offsetBased && this.order.field === 'CREATED_AT') {
      const previous = this.pos.lk;
      const created = sortKey(item, 'CREATED_AT');
      this.pos.lk = created;
      // Batches sharing one creation time are all remembered (bounded), so none repeats after a shift.
      this.pos.li =
        created !== null && created === previous
          ? [...(this.pos.li ?? []), item.providerBatchId].slice(-MAX_TIED)
          : [item.providerBatchId];
    }
  }

  /**
   * True when the stream has another matching batch. Reads the next upstream page only when
   * the gateway filters this provider (otherwise the upstream's own "has more" is exact).
   */
  async hasMore(): Promise<boolean> {
    if (this.pos === null) return false;
    if (this.failure !== undefined || this.capped) return true;
    if (this.page) {
      for (let k = this.pos.k; k < this.page.items.length; k++) {
        const item = this.page.items[k]!;
        if (isPastCreatedBound(item, this.filter, this.order)) return false;
        if (matchesFilter(item, this.filter) && !this.seenBefore(item)) return true;
      }
      if (this.page.next === null) return false;
      if (this.source.exact) return true;
    }
    return (await this.head()) !== null || this.capped || this.failure !== undefined;
  }

  /** The position to store in a cursor now: normalised so an exhausted page is never re-read. */
  snapshot(): SourcePosition | null {
    if (this.pos === null) return null;
    const pos: SourcePosition = { ...this.pos };
    if (this.page && pos.k >= this.page.items.length && this.failure === undefined) {
      if (this.page.next === null) return null;
      pos.t = this.page.next;
      pos.n = this.pageSize;
      pos.k = 0;
    }
    if (pos.lk === undefined) delete pos.lk;
    if (pos.li === undefined) delete pos.li;
    return pos;
  }

  /** Offset lists shift when new batches arrive; skip what this walk has already emitted. */
  private seenBefore(item: Batch): boolean {
    if (!this.source.offsetBased || this.order.field !== 'CREATED_AT' || this.pos?.lk == null) return false;
    const created = sortKey(item, 'CREATED_AT');
    if (created === null) return false;
    const last = this.pos.lk;
    const newer = this.order.direction === 'DESC' ? created > last : created < last;
    return newer || (created === last && (this.pos.li ?? []).includes(item.providerBatchId));
  }
}

/**
 * One forward page of the k-way merge of several providers' ordered lists. Each provider's
 * position comes from the `after` cursor (or its first page); every emitted edge carries all
 * positions, so the next page resumes exactly after it. A provider whose upstream fails keeps
 * its position (a later page retries it) and is reported in `failures`.
 */
export async function mergeForward(input: {
  sources: ListSource[];
  positions: Positions | null;
  totals: Totals | null;
  first: number;
  filter: BatchListFilter;
  order: ListOrder;
}): Promise<MergedPage> {
  const streams = input.sources.map((source) => {
    // Exact providers read pages of `first`; filtered ones read the largest pages to skip faster.
    const pageSize = source.exact ? input.first : FILTERED_PAGE_SIZE;
    const start: SourcePosition | null | undefined = input.positions
      ? input.positions[source.provider]
      : { t: source.firstToken, n: pageSize, k: 0 };
    if (start === undefined) throw new TypeError(`cursor has no position for ${source.provider}`);
    return new Stream(source, start, input.totals?.[source.provider], pageSize, input.filter, input.order);
  });
  const snapshot = (): Positions => Object.fromEntries(streams.map((s) => [s.source.provider, s.snapshot()]));
  const totals = (): Totals => Object.fromEntries(streams.map((s) => [s.source.provider, s.total ?? null]));
  const ranks = new Map(input.sources.map((source, i) => [source.provider, source.rank ?? i]));
  const rank = (provider: ProviderName) => ranks.get(provider) ?? 0;
  const edges: MergedPage['edges'] = [];
  while (edges.length < input.first) {
    const heads = await Promise.all(streams.map((s) => s.head()));
    // A provider that hit the read cap may still hold earlier batches: stop here (a short page)
    // rather than emit the others' later batches out of order.
    if (streams.some((s) => s.capped)) break;
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head && (best < 0 || compareAcrossProviders(head, heads[best]!, input.order, rank) < 0)) best = i;
    }
    if (best < 0) break;
    const node = heads[best]!;
    streams[best]!.take(node);
    edges.push({ node, positions: snapshot(), totals: totals() });
  }
  // A failed or capped provider still has batches to give: the page says so, and the cursor retries it.
  const hasNextPage = (await Promise.all(streams.map((s) => s.hasMore()))).some(Boolean);
  return {
    edges,
    hasNextPage,
    resume: { positions: snapshot(), totals: totals() },
    totals: totals(),
    failures: streams
      .filter((s) => s.failure !== undefined)
      .map((s) => ({ provider: s.source.provider, error: s.failure })),
  };
}
