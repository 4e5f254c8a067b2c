import { useEffect, useRef, useState } from 'react';
import {
  BatchDetailDocument,
  FactCheckItemsDocument,
  ReachPendingResourcesDocument,
  ReachRecordErrorsDocument,
  type BatchDetailQuery,
  type BatchRowFragment,
  type FactCheckItemsQuery,
  type ReachPendingResourcesQuery,
  type ReachRecordErrorsQuery,
} from '../__generated__/graphql';
import { gql, type GqlError } from '../api/client';
import { useAuth } from '../api/auth';
import {
  batchTitle,
  formatFull,
  formatInt,
  formatPercent,
  isFinished,
  rateText,
  remainderOf,
  shownOf,
} from '../format';
import { useProviderName } from '../provider-names';
import { ErrorNotice, MiniTable, ProgressBar, ProviderTag, Relative, StatusBadge } from './common';
import { ClientPaged, PagedSection, useConnectionPager } from './paging';
import { CancelAction } from '../actions/CancelAction';

type Detail = NonNullable<BatchDetailQuery['node']>;
type ReachDetail = Extract<Detail, { __typename: 'ReachBatch' }>;
type FactCheckDetail = Extract<Detail, { __typename: 'FactCheckBatch' }>;
type GameballDetail = Extract<Detail, { __typename: 'GameballBatch' }>;

const ITEMS_PAGE = 10;

/**
 * What a batch's paged lists (items, record errors) depend on: they reload when the batch moves on, and keep
 * the reader's page while a re-read finds it unchanged (a finished batch is re-read without its lists changing).
 */
function contentKey(batch: {
  id: string;
  status: string;
  progress: { processed: number | null; failed: number | null };
}) {
  return `${batch.id}|${batch.status}|${batch.progress.processed}|${batch.progress.failed}`;
}

/**
 * Everything about one batch: the common fields (kept current by the live stream), then every field
 * its provider has, with the nested connections paged from the gateway and plain lists paged here.
 */
export function DetailPanel({
  id,
  current,
  liveErrors,
  canCancel,
  onClose,
  onChanged,
}: {
  id: string;
  /** The batch's latest state from the list or the live stream. */
  current: BatchRowFragment | undefined;
  /** Why the panel's own live subscription ended (a bad or missing id, another tenant's batch). */
  liveErrors: readonly GqlError[] | undefined;
  canCancel: boolean;
  onClose(): void;
  onChanged(batch: BatchRowFragment): void;
}) {
  const { epoch } = useAuth();
  const [detail, setDetail] = useState<{ node?: Detail | null; errors?: GqlError[]; loading: boolean }>({
    loading: true,
  });
  const heading = useRef<HTMLHeadingElement>(null);
  const nameOf = useProviderName();
  const terminal = current?.isTerminal ?? false;

  useEffect(() => {
    let live = true;
    setDetail((d) => ({ ...d, loading: true }));
    void gql(BatchDetailDocument, { id }).then(
      (r) =>
        live && setDetail({ node: r.data?.node ?? null, ...(r.errors ? { errors: r.errors } : {}), loading: false }),
    );
    return () => {
      live = false;
    };
    // Read again when the batch reaches its end: its results are final then.
  }, [id, epoch, terminal]);

  useEffect(() => heading.current?.focus(), [id]);
  // Escape closes the panel (unless a dialog is open: it takes its own Escape).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.querySelector('dialog[open]')) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const node = detail.node;
  const batch: BatchRowFragment | undefined =
    current && node && current.observedAt >= node.observedAt ? current : (node ?? current);
  const title = batch ? batchTitle(batch, nameOf(batch.provider)) : undefined;
  const p = batch?.progress;
  const rest = batch ? remainderOf(batch) : undefined;

  return (
    <aside className="detail" aria-labelledby="detail-title" data-id={id}>
      <header className="detail-head">
        <div>
          {batch ? <ProviderTag provider={batch.provider} /> : null}
          <h2 id="detail-title" tabIndex={-1} ref={heading}>
            {title?.title ?? 'Batch'}
          </h2>
          {batch ? <span className="mono small muted">{batch.providerBatchId}</span> : null}
        </div>
        <button type="button" className="btn btn-icon" onClick={onClose} aria-label="Close the detail panel">
          ✕
        </button>
      </header>
      <ErrorNotice errors={detail.errors} />
      <ErrorNotice errors={liveOnly(liveErrors, detail.errors)} context="(no longer watched live)" />
      {!batch && detail.loading ? <p className="muted pad">Loading…</p> : null}
      {batch && p && rest ? (
        <div className="detail-body">
          <div className="detail-status">
            <StatusBadge status={batch.status} raw={batch.providerStatus} />
            {batch.stale ? <span className="stale">⚠ stale since {formatFull(batch.observedAt)}</span> : null}
          </div>
          <div className="progress-line big">
            <ProgressBar percent={p.percent} label="Progress" />
            <span className="percent">{formatPercent(p.percent)}</span>
          </div>
          <dl className="facts">
            <Fact label="Processed">
              {formatInt(p.processed)} of {formatInt(p.total)}
            </Fact>
            <Fact label="Succeeded">{formatInt(p.succeeded)}</Fact>
            <Fact label="Failed">{formatInt(p.failed)}</Fact>
            {/* `progress.pending` told apart: what is left on a running batch, what a finished one never
                processed, and Reach's records stored until a dependency arrives (shown in Reach's facts). */}
            {isFinished(batch.status) ? (
              <Fact label="Not processed">{formatInt(rest.notProcessed)}</Fact>
            ) : (
              <Fact label="To process">{formatInt(rest.toProcess)}</Fact>
            )}
            <Fact label="Rate">{rateText(p, batch.status === 'RUNNING')}</Fact>
            <Fact label="ETA">
              {p.estimatedCompletionAt && !batch.isTerminal ? <Relative at={p.estimatedCompletionAt} /> : '—'}
            </Fact>
            <Fact label="Created">{formatFull(batch.createdAt)}</Fact>
            <Fact label="Started">{formatFull(batch.startedAt)}</Fact>
            <Fact label="Finished">{formatFull(batch.completedAt)}</Fact>
            <Fact label="Read at">{formatFull(batch.observedAt)}</Fact>
            <Fact label="Next read">{batch.nextRefreshAt ? <Relative at={batch.nextRefreshAt} /> : '—'}</Fact>
            <Fact label="Global id">
              <span className="mono small break">{batch.id}</span>
            </Fact>
          </dl>
          {batch.errorMessage ? (
            <p className="notice notice-warn">
              <strong>{nameOf(batch.provider)} says:</strong> {batch.errorMessage}
            </p>
          ) : null}
          <CancelAction batch={batch} canCancel={canCancel} onChanged={onChanged} />
          {node?.__typename === 'ReachBatch' ? <ReachSections batch={node} /> : null}
          {node?.__typename === 'FactCheckBatch' ? <FactCheckSections batch={node} /> : null}
          {node?.__typename === 'GameballBatch' ? <GameballSections batch={node} /> : null}
        </div>
      ) : null}
    </aside>
  );
}

/**
 * The watch's errors that the read has not said already: a bad or missing id fails both the same way,
 * and is one message (the read's), not two.
 */
function liveOnly(live: readonly GqlError[] | undefined, read: readonly GqlError[] | undefined) {
  const said = new Set(read?.map((e) => e.extensions?.code ?? e.message));
  return live?.filter((e) => !said.has(e.extensions?.code ?? e.message));
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function ReachSections({ batch }: { batch: ReachDetail }) {
  const nameOf = useProviderName();
  const errors = useConnectionPager(async (after) => {
    const r = await gql(ReachRecordErrorsDocument, { id: batch.id, first: ITEMS_PAGE, after });
    const node = r.data?.node as Extract<NonNullable<ReachRecordErrorsQuery['node']>, { __typename: 'ReachBatch' }>;
    return { page: node?.recordErrors ?? null, ...(r.errors ? { errors: r.errors } : {}) };
  }, contentKey(batch));
  const pending = useConnectionPager(async (after) => {
    const r = await gql(ReachPendingResourcesDocument, { id: batch.id, first: ITEMS_PAGE, after });
    const node = r.data?.node as Extract<NonNullable<ReachPendingResourcesQuery['node']>, { __typename: 'ReachBatch' }>;
    return { page: node?.pendingResources ?? null, ...(r.errors ? { errors: r.errors } : {}) };
  }, batch.id);
  return (
    <>
      <dl className="facts">
        <Fact label="Type">
          {batchTitle(batch).title}
          {/* Reach's own word is one long token: it may wrap after each underscore, inside its column. */}
          {batch.batchType ? (
            <span className="mono small muted raw-word">
              {batch.batchTypeRaw.split('_').map((part, i) => (
                <span key={i}>
                  {i > 0 ? '_' : ''}
                  <wbr />
                  {part}
                </span>
              ))}
            </span>
          ) : null}
        </Fact>
        <Fact label="Schema">
          <span className="break">{batch.schemaName ?? '—'}</span>
        </Fact>
        <Fact label="Schema id">
          <span className="mono small break">{batch.schemaDefinitionId ?? '—'}</span>
        </Fact>
        <Fact label="Success rate">{formatPercent(batch.successRate)}</Fact>
        {/* Reach's `pendingRecords`: processed records stored until a `$ref` dependency arrives, not work
            still to do; until `pendingExpiresAt` they can resolve, so the batch can still change. */}
        <Fact label="Awaiting dependencies">{formatInt(batch.pendingRecords)}</Fact>
        <Fact label="Can change until">{formatFull(batch.pendingExpiresAt)}</Fact>
      </dl>
      <ClientPaged title="Error summary" items={batch.errorSummary} empty="No record errors.">
        {(rows) => (
          <MiniTable
            rows={rows}
            rowKey={(r) => r.category}
            columns={[
              { label: 'Category', cell: (r) => r.category },
              { label: 'Records', cell: (r) => formatInt(r.count), className: 'num' },
            ]}
          />
        )}
      </ClientPaged>
      <PagedSection
        title="Record errors"
        pager={errors}
        empty="No record errors."
        note={
          errors.page
            ? shownOf(
                errors.page.totalCount,
                // Records Reach counts as failed, or the errors its summary counts (a batch rejected as a whole
                // counts them there, with no failed record).
                Math.max(
                  batch.progress.failed,
                  batch.errorSummary.reduce((sum, c) => sum + c.count, 0),
                ),
                nameOf(batch.provider),
              )
            : null
        }
      >
        {(nodes) => (
          <MiniTable
            rows={nodes}
            rowKey={(r) => r.externalId}
            columns={[
              { label: 'External id', cell: (r) => r.externalId, className: 'mono small' },
              {
                label: 'Errors',
                cell: (r) => (
                  <>
                    {r.errors.join('; ')}
                    {r.categories.length ? <span className="muted small"> ({r.categories.join(', ')})</span> : null}
                  </>
                ),
              },
            ]}
          />
        )}
      </PagedSection>
      <PagedSection
        title="Resources awaiting dependencies"
        pager={pending}
        empty="No resources waiting for dependencies."
      >
        {(nodes) => (
          <MiniTable
            rows={nodes}
            rowKey={(r) => r.id}
            columns={[
              {
                label: 'Resource',
                cell: (r) => (
                  <>
                    <span className="mono small">{r.resourceExternalId}</span>
                    <span className="muted small"> {r.schemaName ?? r.schemaDefinitionId}</span>
                  </>
                ),
              },
              {
                label: 'Waiting for',
                cell: (r) =>
                  r.missingDependencies
                    .map((d) => `${d.schemaName ?? d.schemaDefinitionId} ${d.externalId}`)
                    .join(', '),
                className: 'small',
              },
              { label: 'Expires', cell: (r) => formatFull(r.expiresAt), className: 'small' },
            ]}
          />
        )}
      </PagedSection>
    </>
  );
}

function FactCheckSections({ batch }: { batch: FactCheckDetail }) {
  const items = useConnectionPager(async (after) => {
    const r = await gql(FactCheckItemsDocument, { id: batch.id, first: ITEMS_PAGE, after });
    const node = r.data?.node as Extract<NonNullable<FactCheckItemsQuery['node']>, { __typename: 'FactCheckBatch' }>;
    return { page: node?.items ?? null, ...(r.errors ? { errors: r.errors } : {}) };
  }, contentKey(batch));
  return (
    <>
      <dl className="facts">
        <Fact label="Input">
          {batch.inputFormat ?? '—'}
          {batch.originalFileName ? ` · ${batch.originalFileName}` : ''}
        </Fact>
        <Fact label="Methods">
          {batch.methods.length ? batch.methods.map((m) => `${m.method} ×${m.weight}`).join(', ') : '—'}
        </Fact>
        <Fact label="Cost">{batch.totalCostCents == null ? '—' : `$${(batch.totalCostCents / 100).toFixed(2)}`}</Fact>
        <Fact label="Tokens in · out">
          {formatInt(batch.totalInputTokens)} · {formatInt(batch.totalOutputTokens)}
        </Fact>
        <Fact label="Results expire">{formatFull(batch.expiresAt)}</Fact>
        <Fact label="Context">
          {batch.context == null ? '—' : <code className="small break">{JSON.stringify(batch.context)}</code>}
        </Fact>
      </dl>
      {batch.validationErrors.length > 0 || batch.status === 'FAILED' ? (
        <ClientPaged title="Validation errors" items={batch.validationErrors} size={20} empty="No validation errors.">
          {(rows) => (
            <MiniTable
              testId="validation-errors"
              rows={rows}
              rowKey={(r, i) => `${r.row}-${i}`}
              columns={[
                { label: 'Row', cell: (r) => r.row, className: 'num' },
                { label: 'Problem', cell: (r) => r.message },
              ]}
            />
          )}
        </ClientPaged>
      ) : null}
      <PagedSection title="Items" pager={items} empty="No items yet.">
        {(nodes) => (
          <MiniTable
            testId="items"
            rows={nodes}
            rowKey={(item) => item.id}
            columns={[
              { label: '#', cell: (item) => item.itemIndex, className: 'num' },
              {
                // The item's status word under its claim, not in a column of its own: the table then fits the
                // panel (460 px) whole, and scrolls inside its region on a phone.
                label: 'Claim · status',
                className: 'claim',
                title: (item) => item.content ?? '',
                cell: (item) => (
                  <>
                    {item.content ?? '—'}
                    <span className="item-status small">
                      <span className="mono muted">{item.statusRaw}</span>
                      {item.errorMessage ? <span className="bad"> {item.errorMessage}</span> : null}
                    </span>
                  </>
                ),
              },
              { label: 'Verdict', cell: (item) => item.verdict ?? '—' },
              {
                label: 'Confidence',
                cell: (item) => (item.confidence == null ? '—' : item.confidence.toFixed(2)),
                className: 'num',
              },
              {
                label: 'Decision',
                cell: (item) =>
                  item.decision ? (
                    <span className={`decision decision-${item.decision.toLowerCase()}`}>{item.decision}</span>
                  ) : (
                    '—'
                  ),
              },
            ]}
          />
        )}
      </PagedSection>
    </>
  );
}

function GameballSections({ batch }: { batch: GameballDetail }) {
  const nameOf = useProviderName();
  return (
    <>
      <dl className="facts">
        <Fact label="Gameball's progress">{formatPercent(batch.providerProgress)}</Fact>
        <Fact label="Items">
          {formatInt(batch.processedItems)} of {formatInt(batch.totalItems)}
        </Fact>
        <Fact label="Failed items">{formatInt(batch.failedItems)}</Fact>
      </dl>
      <ClientPaged
        title="Item errors"
        items={batch.itemErrors}
        empty="No item errors."
        note={shownOf(batch.itemErrors.length, batch.failedItems ?? batch.progress.failed, nameOf(batch.provider))}
      >
        {(rows) => (
          <MiniTable
            rows={rows}
            rowKey={(_r, i) => i}
            columns={[
              { label: 'Customer', cell: (r) => r.customerId ?? '—', className: 'mono small' },
              { label: 'Error', cell: (r) => r.message ?? '—' },
              { label: 'Code', cell: (r) => r.code ?? '—', className: 'num' },
            ]}
          />
        )}
      </ClientPaged>
      <ClientPaged title="Results" items={batch.results} empty="No results yet.">
        {(rows) => (
          <MiniTable
            rows={rows}
            rowKey={(_r, i) => i}
            columns={[
              { label: 'Customer', cell: (r) => r.customerId ?? '—', className: 'mono small' },
              { label: 'Amount', cell: (r) => r.amount ?? '—', className: 'num' },
              { label: 'Points', cell: (r) => r.points ?? '—', className: 'num' },
              { label: 'Transaction', cell: (r) => r.transactionId ?? '—', className: 'mono small' },
            ]}
          />
        )}
      </ClientPaged>
    </>
  );
}
