import { useEffect, useState, type ReactNode } from 'react';
import type { GqlError } from '../api/client';
import { ErrorNotice, Pager } from './common';

/** A connection page as the detail panel reads it. */
export interface ConnectionPage<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: readonly { cursor: string; node: T }[];
}

/**
 * Pages a connection forward from the gateway; "previous" goes back through a stack of the
 * `after` cursors already used (the same for every list, whether or not it could page backward).
 */
export function useConnectionPager<T>(
  load: (after: string | null) => Promise<{ page?: ConnectionPage<T> | null; errors?: GqlError[] }>,
  key: string,
) {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const [state, setState] = useState<{ page?: ConnectionPage<T> | null; errors?: GqlError[]; loading: boolean }>({
    loading: true,
  });
  const after = stack[stack.length - 1] ?? null;
  useEffect(() => setStack([null]), [key]);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    void load(after).then((r) => live && setState({ ...r, loading: false }));
    return () => {
      live = false;
    };
    // `load` is recreated on each render; `key` names what it loads.
  }, [key, after]);
  return {
    ...state,
    pageNumber: stack.length,
    canPrevious: stack.length > 1,
    canNext: Boolean(state.page?.pageInfo.hasNextPage && state.page.pageInfo.endCursor),
    next: () => {
      const cursor = state.page?.pageInfo.endCursor;
      if (cursor) setStack((s) => [...s, cursor]);
    },
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
  };
}

/** A paged list from the gateway, with its own errors (the rest of the panel keeps working). */
export function PagedSection<T>({
  title,
  pager,
  empty,
  note,
  children,
}: {
  title: string;
  pager: ReturnType<typeof useConnectionPager<T>>;
  empty: string;
  /** What the list leaves out ("11 of 98 errors shown …"); it replaces `empty` when nothing is listed. */
  note?: string | null;
  children(nodes: readonly T[]): ReactNode;
}) {
  const total = pager.page?.totalCount;
  const id = `sec-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="detail-section" aria-labelledby={id}>
      <h3 id={id}>
        {title}
        {total != null ? <span className="count">{total.toLocaleString('en-US')}</span> : null}
      </h3>
      <ErrorNotice errors={pager.errors} />
      {note ? <p className="shown-of small">{note}</p> : null}
      {pager.page && pager.page.edges.length === 0 && !note ? <p className="muted">{empty}</p> : null}
      {pager.page && pager.page.edges.length > 0 ? (
        <div className="mini-wrap" aria-busy={pager.loading} tabIndex={0} role="region" aria-label={title}>
          {children(pager.page.edges.map((e) => e.node))}
        </div>
      ) : pager.loading ? (
        <p className="muted">Loading…</p>
      ) : null}
      {pager.canPrevious || pager.canNext ? (
        <Pager
          label={title}
          page={pager.pageNumber}
          canPrevious={pager.canPrevious}
          canNext={pager.canNext}
          onPrevious={pager.previous}
          onNext={pager.next}
        />
      ) : null}
    </section>
  );
}

/** A plain list shown whole, or in pages of `size` on the client when it is long. */
export function ClientPaged<T>({
  title,
  items,
  size = 10,
  empty,
  note,
  children,
}: {
  title: string;
  items: readonly T[];
  size?: number;
  empty: string;
  /** What the list leaves out ("11 of 98 errors shown …"); it replaces `empty` when nothing is listed. */
  note?: string | null;
  children(items: readonly T[]): ReactNode;
}) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(page, pages - 1);
  const id = `sec-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="detail-section" aria-labelledby={id}>
      <h3 id={id}>
        {title}
        <span className="count">{items.length.toLocaleString('en-US')}</span>
      </h3>
      {note ? <p className="shown-of small">{note}</p> : null}
      {items.length === 0 ? (
        note ? null : (
          <p className="muted">{empty}</p>
        )
      ) : (
        // Focusable: a table wider than the panel scrolls sideways, from the keyboard too.
        <div className="mini-wrap" tabIndex={0} role="region" aria-label={title}>
          {children(items.slice(current * size, current * size + size))}
        </div>
      )}
      {pages > 1 ? (
        <Pager
          label={title}
          page={current + 1}
          canPrevious={current > 0}
          canNext={current < pages - 1}
          onPrevious={() => setPage(current - 1)}
          onNext={() => setPage(current + 1)}
        >
          <span className="muted small">of {pages}</span>
        </Pager>
      ) : null}
    </section>
  );
}
