import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import {
  BatchByProviderIdDocument,
  BatchesDocument,
  ProvidersDocument,
  type BatchesQuery,
  type BatchRowFragment,
  type ProvidersQuery,
} from './__generated__/graphql';
import { useAuth } from './api/auth';
import { gql, type GqlError } from './api/client';
import { SubmitDialog } from './actions/SubmitDialog';
import { BatchTable, type Row } from './components/BatchTable';
import { ErrorNotice, Pager } from './components/common';
import { DetailPanel } from './components/DetailPanel';
import { Filters } from './components/Filters';
import { LiveIndicator } from './components/LiveIndicator';
import { ProvidersPanel } from './components/ProvidersPanel';
import { TokenDialog } from './components/TokenDialog';
import { andList, formatInt, formatWhen } from './format';
import { ProviderNames, useProviderName } from './provider-names';
import { useLiveBatch, useLiveBatches } from './live-batches';
import { filterKey, filterOf, readView, writeView, type ViewState } from './url-state';

type Connection = BatchesQuery['batches'];
const PROVIDERS_REFRESH_MS = 15_000;

/** The newer of two states of one batch (by when the gateway read it). */
const newer = (a: BatchRowFragment | undefined, b: BatchRowFragment | undefined) =>
  !a ? b : !b ? a : b.observedAt > a.observedAt ? b : a;

export function App() {
  const { epoch } = useAuth();
  const [view, setView] = useState<ViewState>(() => readView());
  const update = useCallback((patch: Partial<ViewState>, mode: 'push' | 'replace' = 'push') => {
    setView((current) => {
      const next = { ...current, ...patch };
      writeView(next, mode);
      return next;
    });
  }, []);
  useEffect(() => {
    const onPop = () => setView(readView());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  // Providers: configured, circuit, capabilities; read again every 15 s.
  const [providers, setProviders] = useState<{ data?: ProvidersQuery['providers']; errors?: GqlError[] }>({});
  useEffect(() => {
    let live = true;
    const load = () =>
      void gql(ProvidersDocument, {}).then(
        (r) =>
          live &&
          setProviders({ ...(r.data ? { data: r.data.providers } : {}), ...(r.errors ? { errors: r.errors } : {}) }),
      );
    load();
    const timer = setInterval(load, PROVIDERS_REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [epoch]);

  // A provider filter from the URL is one of the providers `providers` names: the list waits for that
  // answer (unless it failed), and a provider it does not name is dropped from the view.
  const providerUnknown =
    view.provider !== undefined &&
    providers.data !== undefined &&
    !providers.data.some((p) => p.provider === view.provider);
  useEffect(() => {
    if (providerUnknown) update({ provider: undefined }, 'replace');
  }, [providerUnknown, update]);
  const listReady =
    view.provider === undefined || (providers.data !== undefined ? !providerUnknown : providers.errors !== undefined);

  // The merged list, one page at a time; "previous" pops a stack of the `after` cursors used.
  const key = filterKey(view);
  const [cursors, setCursors] = useState<{ key: string; stack: (string | null)[] }>({ key, stack: [null] });
  const stack = cursors.key === key ? cursors.stack : [null];
  const after = stack[stack.length - 1] ?? null;
  const [reload, setReload] = useState(0);
  const [list, setList] = useState<{ data?: Connection; errors?: GqlError[]; loading: boolean }>({ loading: true });
  const [listedAt, setListedAt] = useState<string | undefined>();
  useEffect(() => {
    if (!listReady) return;
    let live = true;
    setList((l) => ({ ...l, loading: true }));
    void gql(BatchesDocument, { first: view.size, after, filter: filterOf(view) }).then((r) => {
      if (!live) return;
      setListedAt(new Date().toISOString());
      setList({
        ...(r.data?.batches ? { data: r.data.batches } : {}),
        ...(r.errors ? { errors: r.errors } : {}),
        loading: false,
      });
    });
    return () => {
      live = false;
    };
    // `view` is summed up by `key`.
  }, [key, after, epoch, reload, listReady]);

  // Batches known besides the list: opened by id, submitted, or changed by an action.
  const [known, setKnown] = useState<ReadonlyMap<string, BatchRowFragment>>(() => new Map());
  const [submitted, setSubmitted] = useState<string[]>([]);
  const remember = useCallback((batch: BatchRowFragment) => {
    setKnown((m) => new Map(m).set(batch.id, newer(m.get(batch.id), batch)!));
  }, []);

  const listed = useMemo(() => list.data?.edges.map((e) => e.node) ?? [], [list.data]);
  const pageBatches = useMemo(() => {
    const ids = new Set(listed.map((b) => b.id));
    const extra =
      stack.length === 1 ? submitted.filter((id) => !ids.has(id) && known.has(id)).map((id) => known.get(id)!) : [];
    return [...extra, ...listed];
  }, [listed, submitted, known, stack.length]);

  // One live subscription for the running and queued batches on screen; the open batch has its own (so an
  // id from the URL that the gateway refuses ends the panel's stream, never the list's).
  const watchIds = useMemo(
    () => pageBatches.filter((b) => !newer(b, known.get(b.id))!.isTerminal).map((b) => b.id),
    [pageBatches, known],
  );
  const { live, streamErrors } = useLiveBatches(watchIds, epoch);
  const openKnown = view.open ? (known.get(view.open) ?? pageBatches.find((b) => b.id === view.open)) : undefined;
  const panelLive = useLiveBatch(openKnown?.isTerminal ? undefined : view.open, epoch);
  const watched = useMemo(() => new Set(watchIds), [watchIds]);

  const current = useCallback(
    (id: string, listedBatch?: BatchRowFragment) => newer(newer(listedBatch, known.get(id)), live.get(id)?.batch),
    [known, live],
  );
  // A row keeps its object while nothing in it changed, so only the rows an event is about re-render.
  const rowCache = useRef(new Map<string, Row>());
  const rows: Row[] = useMemo(() => {
    const next = new Map<string, Row>();
    const out = pageBatches.map((b) => {
      const row = { batch: current(b.id, b)!, liveError: live.get(b.id)?.error, live: watched.has(b.id) };
      const before = rowCache.current.get(b.id);
      const kept =
        before && before.batch === row.batch && before.liveError === row.liveError && before.live === row.live
          ? before
          : row;
      next.set(b.id, kept);
      return kept;
    });
    rowCache.current = next;
    return out;
  }, [pageBatches, current, live, watched]);

  const canCancel = (provider: string | undefined) =>
    providers.data?.find((p) => p.provider === provider)?.canCancel ?? false;
  const openBatch = useCallback((id: string) => update({ open: id }), [update]);
  const closeDetail = useCallback(() => {
    const id = view.open;
    update({ open: undefined });
    // Back to where the keyboard was: the row's own button.
    requestAnimationFrame(() =>
      document.querySelector<HTMLButtonElement>(`tr[data-id="${CSS.escape(id ?? '')}"] .row-open`)?.focus(),
    );
  }, [update, view.open]);
  const openRow = view.open
    ? newer(
        current(
          view.open,
          pageBatches.find((b) => b.id === view.open),
        ),
        panelLive.batch,
      )
    : undefined;

  const [submitting, setSubmitting] = useState(false);
  const [tokenOpen, setTokenOpen] = useState(false);
  const excluded = list.data?.excludedProviders ?? [];
  const gameballExcluded = excluded.find((e) => e.provider === 'GAMEBALL' && e.reason === 'CANNOT_LIST');
  const listing = providers.data?.filter((p) => p.canList).map((p) => p.displayName) ?? [];
  const providerErrors = list.errors?.filter((e) => e.extensions?.provider);
  const otherErrors = list.errors?.filter((e) => !e.extensions?.provider);

  return (
    <ProviderNames providers={providers.data}>
      <div className={`app${view.open ? ' with-detail' : ''}`}>
        <header className="topbar">
          <div className="brand">
            <span className="logo" aria-hidden="true">
              ◧
            </span>
            <span className="brand-name">batchql</span>
            <span className="brand-sub">Batches</span>
          </div>
          <div className="topbar-actions">
            <LiveIndicator />
            <button type="button" className="btn btn-ghost" onClick={() => setTokenOpen(true)}>
              Token
            </button>
            <button type="button" className="btn btn-primary" onClick={() => setSubmitting(true)}>
              New fact-check batch
            </button>
          </div>
        </header>

        <main className="main" id="main">
          <ProvidersPanel providers={providers.data} {...(providers.errors ? { errors: providers.errors } : {})} />
          <Filters view={view} providers={providers.data} onChange={(patch) => update({ ...patch }, 'push')} />

          <section className="list" aria-label="Batch list">
            <div className="list-head">
              <h1>
                Batches
                <span
                  className="count"
                  title={
                    list.data && list.data.totalCount == null
                      ? 'The exact total is not known (a provider failed, or a filter is applied in the gateway)'
                      : 'Batches in this view'
                  }
                >
                  {list.data?.totalCount != null
                    ? formatInt(list.data.totalCount)
                    : list.data
                      ? `${formatInt(list.data.edges.length)}${list.data.pageInfo.hasNextPage ? '+' : ''}`
                      : '…'}
                </span>
              </h1>
              <span className="muted small">
                Newest first{listing.length ? ` · ${andList(listing)} merged` : ''}
                {listedAt ? ` · listed at ${formatWhen(listedAt)}` : ''}
              </span>
              <div className="list-tools">
                <button type="button" className="btn" onClick={() => setReload((n) => n + 1)} disabled={list.loading}>
                  Refresh
                </button>
              </div>
            </div>
            <ErrorNotice errors={providerErrors} context="Other providers' batches are still listed." />
            <ErrorNotice errors={otherErrors} />
            <ErrorNotice errors={streamErrors} context="(live updates)" />
            {gameballExcluded || !list.data ? <GameballNote onOpen={(b) => (remember(b), openBatch(b.id))} /> : null}
            <div className="table-wrap">
              <BatchTable
                rows={rows}
                selected={view.open}
                onOpen={openBatch}
                busy={list.loading}
                placeholders={list.loading && !list.data ? view.size : 0}
              />
              {!list.loading && rows.length === 0 ? <p className="empty">No batches match these filters.</p> : null}
            </div>
            <Pager
              label="Batch pages"
              page={stack.length}
              canPrevious={stack.length > 1}
              canNext={Boolean(list.data?.pageInfo.hasNextPage && list.data.pageInfo.endCursor)}
              onPrevious={() => setCursors({ key, stack: stack.slice(0, -1) })}
              onNext={() => {
                const cursor = list.data?.pageInfo.endCursor;
                if (cursor) setCursors({ key, stack: [...stack, cursor] });
              }}
            >
              <label className="page-size small">
                Rows
                <select value={view.size} onChange={(e) => update({ size: Number(e.target.value) })}>
                  {[25, 50, 100].map((n) => (
                    <option key={n}>{n}</option>
                  ))}
                </select>
              </label>
            </Pager>
          </section>
        </main>

        {view.open ? (
          <DetailPanel
            key={view.open}
            id={view.open}
            current={openRow}
            liveErrors={panelLive.errors}
            canCancel={canCancel(openRow?.provider)}
            onClose={closeDetail}
            onChanged={remember}
          />
        ) : null}

        <SubmitDialog
          open={submitting}
          onClose={() => setSubmitting(false)}
          onSubmitted={(batch) => {
            remember(batch);
            setSubmitted((s) => [batch.id, ...s.filter((id) => id !== batch.id)]);
            if (stack.length > 1) setCursors({ key, stack: [null] });
            update({ open: batch.id });
          }}
        />
        <TokenDialog open={tokenOpen} onClose={() => setTokenOpen(false)} />
      </div>
    </ProviderNames>
  );
}

/** Gameball cannot list its batches: a note, and a box to open one by its id. */
function GameballNote({ onOpen }: { onOpen(batch: BatchRowFragment): void }) {
  const [value, setValue] = useState('');
  const [errors, setErrors] = useState<GqlError[] | undefined>();
  const [busy, setBusy] = useState(false);
  const name = useProviderName()('GAMEBALL');
  const open = async (e: FormEvent) => {
    e.preventDefault();
    const id = value.trim();
    if (!id) return;
    setBusy(true);
    const r = await gql(BatchByProviderIdDocument, { provider: 'GAMEBALL', providerBatchId: id });
    setBusy(false);
    setErrors(r.errors);
    if (r.data?.batch) onOpen(r.data.batch);
  };
  return (
    <div className="notice notice-info gameball-note">
      <p>
        <strong>{name}</strong> has no list endpoint, so its batches are not in this list. Open one by its id:
      </p>
      <form className="inline-form" onSubmit={(e) => void open(e)}>
        <label className="visually-hidden" htmlFor="gameball-id">
          {name} batch id
        </label>
        <input
          id="gameball-id"
          type="text"
          inputMode="numeric"
          placeholder={`${name} batch id, e.g. 91959774`}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" className="btn" disabled={busy || !value.trim()}>
          Open
        </button>
      </form>
      <ErrorNotice errors={errors} />
    </div>
  );
}
