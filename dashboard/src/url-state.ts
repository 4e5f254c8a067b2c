import type { BatchFilter, BatchProvider, BatchStatus } from './__generated__/graphql';
import { localInputToIso, STATUSES } from './format';

/**
 * What the URL holds, so a view can be shared and a reload stays on it: the filters, the page size, the page
 * and the open batch.
 */
export interface ViewState {
  provider: BatchProvider | undefined;
  statuses: BatchStatus[];
  /** `datetime-local` values (the viewer's local time). */
  from: string;
  to: string;
  size: number;
  /**
   * The `after` cursor of each page up to the one shown: `[null]` is page 1, `[null, c2, c3]` page 3. The URL
   * holds the page number and its cursor (`page=3&after=c3`); the cursors before it are kept in the history
   * entry's state, which a reload and Back keep. A link opened elsewhere has no state: the cursors it does not
   * carry are `undefined`, and "previous" from the page after one of them starts again at page 1.
   */
  pages: (string | null | undefined)[];
  /** The global id of the batch in the detail panel. */
  open: string | undefined;
}

/** A value of the URL the page could not use: "status=BOGUS" and why, "is not a status (…)". */
export interface IgnoredParam {
  param: string;
  value: string;
  /** A predicate of the value, from its verb on. */
  why: string;
}

export const PAGE_SIZES = [25, 50, 100];
/**
 * A provider in the URL has an enum value's shape; which providers there are, the page learns from
 * `Query.providers` (the App drops one it does not name, before the list is read with it, and says so).
 */
const PROVIDER_VALUE = /^[A-Z][A-Z0-9_]*$/;
/** `datetime-local`'s value: `2026-12-07T13:05`, seconds optional. */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;
/** Deeper than this, a link is not worth restoring page by page (and its URL would be long). */
const MAX_PAGE = 1000;

const pageStack = (value: unknown): value is ViewState['pages'] =>
  Array.isArray(value) &&
  value[0] === null &&
  value.every((c) => c === null || c === undefined || typeof c === 'string');

/**
 * The view a URL asks for, and every value in it the page cannot use (each is left out of the view, and the
 * page shows a note). `state` is the history entry's state: it holds the earlier pages' cursors.
 */
export function parseView(
  search = window.location.search,
  state: unknown = window.history.state,
): { view: ViewState; ignored: IgnoredParam[] } {
  const q = new URLSearchParams(search);
  const ignored: IgnoredParam[] = [];

  const providerRaw = q.get('provider');
  let provider: BatchProvider | undefined;
  if (providerRaw && PROVIDER_VALUE.test(providerRaw)) provider = providerRaw as BatchProvider;
  else if (providerRaw) ignored.push({ param: 'provider', value: providerRaw, why: 'is not a provider' });

  const statuses: BatchStatus[] = [];
  for (const word of (q.get('status') ?? '').split(',').filter(Boolean)) {
    if ((STATUSES as string[]).includes(word)) {
      if (!statuses.includes(word as BatchStatus)) statuses.push(word as BatchStatus);
    } else ignored.push({ param: 'status', value: word, why: `is not a status (${STATUSES.join(', ')})` });
  }

  const time = (param: 'from' | 'to'): string => {
    const value = q.get(param);
    if (!value) return '';
    if (LOCAL_TIME.test(value) && localInputToIso(value)) return value;
    ignored.push({ param, value, why: 'is not a date and time (2026-12-07T13:05)' });
    return '';
  };
  const from = time('from');
  const to = time('to');

  const sizeRaw = q.get('size');
  let size = 25;
  if (sizeRaw !== null && PAGE_SIZES.includes(Number(sizeRaw))) size = Number(sizeRaw);
  else if (sizeRaw !== null)
    ignored.push({ param: 'size', value: sizeRaw, why: `is not a page size (${PAGE_SIZES.join(', ')})` });

  const pageRaw = q.get('page');
  const after = q.get('after');
  let pages: ViewState['pages'] = [null];
  if (pageRaw !== null || after !== null) {
    const page = Number(pageRaw ?? '');
    if (!Number.isInteger(page) || page < 2 || page > MAX_PAGE || !after) {
      ignored.push({
        param: 'page',
        value: pageRaw ?? '',
        why: after ? 'is not a page number from 2 on' : 'comes without its cursor (after=…)',
      });
    } else {
      const kept = (state as { pages?: unknown } | null)?.pages;
      // The state's stack when it leads to this very page; else only this page's cursor is known.
      pages =
        pageStack(kept) && kept.length === page && kept[page - 1] === after
          ? kept
          : [null, ...Array<undefined>(page - 2).fill(undefined), after];
    }
  }

  return { view: { provider, statuses, from, to, size, pages, open: q.get('batch') ?? undefined }, ignored };
}

export const readView = (search?: string, state?: unknown): ViewState => parseView(search, state).view;

/** The URL of a view (its search part, with `?`, or `''`). */
function searchOf(view: ViewState): string {
  const q = new URLSearchParams();
  if (view.provider) q.set('provider', view.provider);
  if (view.statuses.length) q.set('status', view.statuses.join(','));
  if (view.from) q.set('from', view.from);
  if (view.to) q.set('to', view.to);
  if (view.size !== 25) q.set('size', String(view.size));
  const after = view.pages.at(-1);
  if (view.pages.length > 1 && after) {
    q.set('page', String(view.pages.length));
    q.set('after', after);
  }
  if (view.open) q.set('batch', view.open);
  const search = q.toString();
  return search ? `?${search}` : '';
}

export function writeView(view: ViewState, mode: 'push' | 'replace' = 'push'): void {
  const url = `${window.location.pathname}${searchOf(view)}`;
  const state = { pages: view.pages };
  const same = url === `${window.location.pathname}${window.location.search}`;
  if (same && JSON.stringify(window.history.state) === JSON.stringify(state)) return;
  if (mode === 'push' && !same) window.history.pushState(state, '', url);
  else window.history.replaceState(state, '', url);
}

/** The list filter the view asks for. */
export function filterOf(view: ViewState): BatchFilter {
  const filter: BatchFilter = {};
  if (view.provider) filter.providers = [view.provider];
  if (view.statuses.length) filter.statuses = view.statuses;
  const after = localInputToIso(view.from);
  const before = localInputToIso(view.to);
  if (after) filter.createdAfter = after;
  if (before) filter.createdBefore = before;
  return filter;
}

/** The key of a list query: a change starts the paging over. */
export const filterKey = (view: Pick<ViewState, 'provider' | 'statuses' | 'from' | 'to' | 'size'>): string =>
  JSON.stringify([view.provider, view.statuses, view.from, view.to, view.size]);
