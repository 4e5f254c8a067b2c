import type { BatchFilter, BatchProvider, BatchStatus } from './__generated__/graphql';
import { localInputToIso, STATUSES } from './format';

/** What the URL holds, so a view can be shared: the filters, the page size and the open batch. */
export interface ViewState {
  provider: BatchProvider | undefined;
  statuses: BatchStatus[];
  /** `datetime-local` values (the viewer's local time). */
  from: string;
  to: string;
  size: number;
  /** The global id of the batch in the detail panel. */
  open: string | undefined;
}

const PAGE_SIZES = [25, 50, 100];
/**
 * A provider in the URL has an enum value's shape; which providers there are, the page learns from
 * `Query.providers` (the App drops one it does not name, before the list is read with it).
 */
const PROVIDER_VALUE = /^[A-Z][A-Z0-9_]*$/;

export function readView(search = window.location.search): ViewState {
  const q = new URLSearchParams(search);
  const provider = q.get('provider') as BatchProvider | null;
  const size = Number(q.get('size'));
  return {
    provider: provider && PROVIDER_VALUE.test(provider) ? provider : undefined,
    statuses: (q.get('status') ?? '').split(',').filter((s): s is BatchStatus => (STATUSES as string[]).includes(s)),
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
    size: PAGE_SIZES.includes(size) ? size : 25,
    open: q.get('batch') ?? undefined,
  };
}

export function writeView(view: ViewState, mode: 'push' | 'replace' = 'push'): void {
  const q = new URLSearchParams();
  if (view.provider) q.set('provider', view.provider);
  if (view.statuses.length) q.set('status', view.statuses.join(','));
  if (view.from) q.set('from', view.from);
  if (view.to) q.set('to', view.to);
  if (view.size !== 25) q.set('size', String(view.size));
  if (view.open) q.set('batch', view.open);
  const search = q.toString();
  const url = `${window.location.pathname}${search ? `?${search}` : ''}`;
  if (url === `${window.location.pathname}${window.location.search}`) return;
  if (mode === 'push') window.history.pushState(null, '', url);
  else window.history.replaceState(null, '', url);
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
export const filterKey = (view: ViewState): string =>
  JSON.stringify([view.provider, view.statuses, view.from, view.to, view.size]);
