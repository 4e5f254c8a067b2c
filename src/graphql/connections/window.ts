import { badInput } from '../../domain/errors.js';

/** Page sizes a connection accepts, and the size when neither `first` nor `last` is given. */
const PAGE_SIZE = { min: 1, max: 100, default: 20 } as const;

/** Relay arguments after validation; `first` is defaulted when neither size is given. */
export interface PageArgs {
  first: number | null;
  last: number | null;
  after: string | null;
  before: string | null;
}

/** Validates `first`/`last` (1..100; default `first: 20`). */
export function pageArgs(args: {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}): PageArgs {
  for (const name of ['first', 'last'] as const) {
    const value = args[name];
    if (value != null && (!Number.isInteger(value) || value < PAGE_SIZE.min || value > PAGE_SIZE.max)) {
      throw badInput(`\`${name}\` must be from ${PAGE_SIZE.min} to ${PAGE_SIZE.max}, got ${value}`);
    }
  }
  const first = args.first ?? (args.last == null ? PAGE_SIZE.default : null);
  return { first, last: args.last ?? null, after: args.after ?? null, before: args.before ?? null };
}

/** The slice `[start, end)` of an indexable list a Relay page covers, and its page info. */
export interface Window {
  start: number;
  end: number;
  hasPreviousPage: boolean;
  hasNextPage: boolean;
}

/**
 * The Relay pagination algorithm over an indexable list of `total` items, exactly as
 * graphql-relay's `connectionFromArraySlice` computes it: `afterIndex`/`beforeIndex` are the
 * indices of the `after`/`before` edges; `hasPreviousPage` is only known (true) under `last`,
 * `hasNextPage` only under `first`.
 */
export function windowOf(
  args: { first: number | null; last: number | null; afterIndex: number | null; beforeIndex: number | null },
  total: number,
): Window {
  const lower = args.afterIndex !== null ? args.afterIndex + 1 : 0;
  const upper = args.beforeIndex !== null ? args.beforeIndex : total;
  let start = Math.max(0, lower);
  let end = Math.min(total, upper);
  if (args.first !== null) end = Math.min(end, start + args.first);
  if (args.last !== null) start = Math.max(start, end - args.last);
  return {
    start,
    end: Math.max(start, end),
    hasPreviousPage: args.last !== null ? start > lower : false,
    hasNextPage: args.first !== null ? end < upper : false,
  };
}

/** Where a cursor points in an offset list: the index of its edge, or just past the last item. */
export type EdgeIndex = number | 'end' | null;

/**
 * Reads the Relay window of a remote offset-paged list: one upstream request, or two when the
 * total must be known first (`last` without `before`, or a cursor past the end).
 */
export async function fetchWindow<T>(
  args: { first: number | null; last: number | null; after: EdgeIndex; before: EdgeIndex },
  fetchSlice: (offset: number, limit: number) => Promise<{ items: T[]; total: number | null }>,
): Promise<{ window: Window; items: T[]; total: number | null }> {
  let total: number | null = null;
  if ((args.last !== null && args.before === null) || args.after === 'end' || args.before === 'end')
    total = (await fetchSlice(0, 1)).total;
  const index = (at: EdgeIndex): number | null => (at === null ? null : at === 'end' ? (total ?? 0) - 1 : at);
  const slice = { first: args.first, last: args.last, afterIndex: index(args.after), beforeIndex: index(args.before) };
  // Without a total yet, the window's end comes from the page read at its start.
  let w = windowOf(slice, total ?? Number.MAX_SAFE_INTEGER);
  let items: T[] = [];
  if (w.end > w.start) {
    const page = await fetchSlice(w.start, Math.min(PAGE_SIZE.max, w.end - w.start));
    total = page.total ?? total;
    items = page.items;
  } else if (total === null) {
    total = (await fetchSlice(0, 1)).total;
  }
  if (total !== null) {
    const exact = windowOf(slice, total);
    // The list shrank under a cursor: keep the slice that was read.
    w = exact.start === w.start ? exact : { ...exact, start: w.start, end: w.start + items.length };
  }
  return { window: w, items: items.slice(0, Math.max(0, w.end - w.start)), total };
}
