import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import {
  BatchByProviderIdDocument,
  BatchesDocument,
  ProvidersDocument,
  type BatchesQuery,
  type BatchProvider,
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
import { andList, formatFull, formatInt, formatWhen } from './format';
import { ProviderNames, useProviderName } from './provider-names';
import { useLiveBatch, useLiveBatches } from './live-batches';
import {
  filterKey,
  filterOf,
  PAGE_SIZES,
  parseView,
  readView,
  writeView,
  type IgnoredParam,
  type ViewState,
} from './url-state';

type Connection = BatchesQuery['batches'];
const PROVIDERS_REFRESH_MS = 15_000;

/** The newer of two states of one batch (by when the gateway read it). */
const newer = (a: BatchRowFragment | undefined, b: BatchRowFragment | undefined) =>
  !a ? b : !b ? a : b.observedAt > a.observedAt ? b : a;

export function App() {
  const { epoch } = useAuth();
  // The URL's values the page cannot use are left out of the view, and a note says which (until dismissed).
  const [initial] = useState(() => parseView());
  const [view, setView] = useState<ViewState>(initial.view);
  const [ignored, setIgnored] = useState<IgnoredParam[]>(initial.ignored);
  const ignore = useCallback((more: IgnoredParam) => setIgnored((list) => [...list, more]), []);
  /**
   * A change of the view, kept in the URL; a change of the filters or the page size starts again at page 1.
   * A change the reader makes (`push`) also retires the note about the address they came with.
   */
  const update = useCallback((patch: Partial<ViewState>, mode: 'push' | 'replace' = 'push') => {
    if (mode === 'push') setIgnored([]);
    setView((current) => {
      const next = { ...current, ...patch };
      if (!patch.pages && filterKey(next) !== filterKey(current)) next.pages = [null];
      writeView(next, mode);
      return next;
    });
  }, []);
  useEffect(() => {
    // The address shows the view as used (the values it ignored are gone), with the page's cursors in its state.
    writeView(initial.view, 'replace');
    const onPop = () => setView(readView());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [initial]);

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
    if (!providerUnknown || !view.provider) return;
    ignore({
      param: 'provider',
      value: view.provider,
      why: `is not a provider of this gateway (${andList(providers.data?.map((p) => p.displayName) ?? [])})`,
    });
    update({ provider: undefined }, 'replace');
  }, [providerUnknown, view.provider, providers.data, update, ignore]);
  const listReady =
    view.provider === undefined || (providers.data !== undefined ? !providerUnknown : providers.errors !== undefined);

  // The merged list, one page at a time; "previous" pops the stack of `after` cursors the URL's view holds.
  const key = filterKey(view);
  const stack = view.pages;
  const after = stack.at(-1) ?? null;
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

  // A page cursor from the address that the gateway refuses (issued for another caller or another list, or
  // by a gateway with another secret): say so, and show page 1.
  const badCursor =
    after !== null
      ? list.errors?.find(
          (e) => e.extensions?.code === 'BAD_USER_INPUT' && !e.extensions.provider && e.message.includes('`after`'),
        )
      : undefined;
  useEffect(() => {
    if (!badCursor) return;
    ignore({
      param: 'page',
      value: String(stack.length),
      why: `could not be restored (the gateway refused its cursor: ${badCursor.message})`,
    });
    update({ pages: [null] }, 'replace');
  }, [badCursor, stack.length, update, ignore]);

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
  const gameball = providers.data?.find((p) => p.provider === 'GAMEBALL');
  // Gameball has no list endpoint: its box opens a batch by id, whether or not the ledger lists the ones seen.
  const gameballNote = gameball?.configured && !gameball.canList;
  const providerErrors = list.errors?.filter((e) => e.extensions?.provider);
  const otherErrors = list.errors?.filter((e) => !e.extensions?.provider && e !== badCursor);
  // App holds the names' context (ProviderNames below), so it reads the names from the answer itself.
  const nameOf = (provider: BatchProvider) =>
    providers.data?.find((p) => p.provider === provider)?.displayName ?? provider;
  const failedProviders = new Set(providerErrors?.map((e) => e.extensions!.provider!));
  // The providers whose batches this view merges: the listing ones the provider filter keeps, less those the
  // answer excludes; names from `Query.providers`, in its order.
  const inView = (providers.data ?? []).filter(
    (p) =>
      p.configured &&
      p.listed &&
      (!view.provider || p.provider === view.provider) &&
      !excluded.some((e) => e.provider === p.provider),
  );
  const merged = inView.filter((p) => !failedProviders.has(p.provider)).map((p) => p.displayName);
  const failed = inView.filter((p) => failedProviders.has(p.provider)).map((p) => p.displayName);
  const subtitle = !providers.data
    ? ''
    : merged.length > 1
      ? `${andList(merged)} merged`
      : merged.length === 1
        ? `${merged[0]} only`
        : failed.length === 0
          ? 'no provider in this view lists batches'
          : '';

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
              <span className="muted small list-sub">
                Newest first{subtitle ? ` · ${subtitle}` : ''}
                {failed.length ? ` · ${andList(failed)} failed` : ''}
                {listedAt ? (
                  <>
                    {' · listed at '}
                    <time dateTime={listedAt} title={formatFull(listedAt)}>
                      {formatWhen(listedAt)}
                    </time>
                  </>
                ) : null}
              </span>
              <div className="list-tools">
                <button type="button" className="btn" onClick={() => setReload((n) => n + 1)} disabled={list.loading}>
                  Refresh
                </button>
              </div>
            </div>
            <IgnoredNote ignored={ignored} onDismiss={() => setIgnored([])} />
            <ErrorNotice
              errors={providerErrors}
              {...(merged.length
                ? { context: `${andList(merged)} ${merged.length > 1 ? 'are' : 'is'} still listed.` }
                : {})}
            />
            <ErrorNotice errors={otherErrors} />
            <ErrorNotice errors={streamErrors} context="(live updates)" />
            {gameballNote ? (
              <GameballNote listed={gameball.listed} onOpen={(b) => (remember(b), openBatch(b.id))} />
            ) : null}
            <div className="table-wrap">
              <BatchTable
                rows={rows}
                selected={view.open}
                onOpen={openBatch}
                busy={list.loading}
                placeholders={list.loading && !list.data ? view.size : 0}
              />
              {!list.loading && rows.length === 0 ? (
                <p className="empty">
                  {list.errors?.length
                    ? `No batches could be listed: ${describeFailure(list.errors, nameOf)}.`
                    : 'No batches match these filters.'}
                </p>
              ) : null}
            </div>
            <Pager
              label="Batch pages"
              page={stack.length}
              canPrevious={stack.length > 1}
              canNext={Boolean(list.data?.pageInfo.hasNextPage && list.data.pageInfo.endCursor)}
              // A page whose cursor the address did not carry is reached again from page 1.
              onPrevious={() => update({ pages: stack.at(-2) === undefined ? [null] : stack.slice(0, -1) })}
              onNext={() => {
                const cursor = list.data?.pageInfo.endCursor;
                if (cursor) update({ pages: [...stack, cursor] });
              }}
            >
              <label className="page-size small">
                Rows
                <select value={view.size} onChange={(e) => update({ size: Number(e.target.value) })}>
                  {PAGE_SIZES.map((n) => (
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
            update({ open: batch.id, ...(stack.length > 1 ? { pages: [null] } : {}) });
          }}
        />
        <TokenDialog open={tokenOpen} onClose={() => setTokenOpen(false)} />
      </div>
    </ProviderNames>
  );
}

/**
 * Gameball cannot list its batches: a note, and a box to open one by its id. With the ledger on (`listed`), the
 * batches batchql has seen are in the list, and the box opens one it has not seen yet.
 */
function GameballNote({ listed, onOpen }: { listed: boolean; onOpen(batch: BatchRowFragment): void }) {
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
        {listed ? (
          <>
            <strong>{name}</strong> has no list endpoint: this list shows the {name} batches batchql has seen (submitted
            here or opened by id). Open another by its id:
          </>
        ) : (
          <>
            <strong>{name}</strong> has no list endpoint, so its batches are not in this list. Open one by its id:
          </>
        )}
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

/** What failed, for the empty list: "Check failed (PROVIDER_UNAVAILABLE)", or the gateway's own message. */
function describeFailure(errors: readonly GqlError[], nameOf: (provider: BatchProvider) => string): string {
  const parts = errors.map((e) => {
    const code = e.extensions?.code ? ` (${e.extensions.code})` : '';
    return e.extensions?.provider ? `${nameOf(e.extensions.provider)} failed${code}` : `${e.message}${code}`;
  });
  return andList([...new Set(parts)]);
}

/** The URL's values the page could not use: each named, with what the page did instead. */
function IgnoredNote({ ignored, onDismiss }: { ignored: readonly IgnoredParam[]; onDismiss(): void }) {
  if (!ignored.length) return null;
  return (
    <div className="notice notice-warn ignored-note" role="status">
      <div>
        {ignored.map((i, n) => (
          <p key={n} data-param={i.param}>
            The address's{' '}
            <code className="mono">
              {i.param}={i.value}
            </code>{' '}
            {i.why}; {i.param === 'page' ? 'page 1 is shown' : 'it is ignored'}.
          </p>
        ))}
      </div>
      <button type="button" className="btn btn-ghost btn-icon" onClick={onDismiss} aria-label="Dismiss the note">
        ✕
      </button>
    </div>
  );
}
