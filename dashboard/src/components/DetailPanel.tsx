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
import { batchTitle, formatFull, formatInt, formatPercent, formatRate, PROVIDER_NAMES } from '../format';
import type { LiveEntry } from '../live-batches';
import { ErrorNotice, ProgressBar, ProviderTag, Relative, StatusBadge } from './common';
import { ClientPaged, PagedSection, useConnectionPager } from './paging';
import { CancelAction } from '../actions/CancelAction';

type Detail = NonNullable<BatchDetailQuery['node']>;
type ReachDetail = Extract<Detail, { __typename: 'ReachBatch' }>;
type FactCheckDetail = Extract<Detail, { __typename: 'FactCheckBatch' }>;
type GameballDetail = Extract<Detail, { __typename: 'GameballBatch' }>;

const ITEMS_PAGE = 10;

/**
 * Everything about one batch: the common fields (kept current by the live stream), then every field
 * its provider has, with the nested connections paged from the gateway and plain lists paged here.
 */
export function DetailPanel({
  id,
  current,
  liveError,
  canCancel,
  onClose,
  onChanged,
}: {
  id: string;
  /** The batch's latest state from the list or the live stream. */
  current: BatchRowFragment | undefined;
  liveError: LiveEntry['error'] | undefined;
  canCancel: boolean;
  onClose(): void;
  onChanged(batch: BatchRowFragment): void;
}) {
  const { epoch } = useAuth();
  const [detail, setDetail] = useState<{ node?: Detail | null; errors?: GqlError[]; loading: boolean }>({
    loading: true,
  });
  const heading = useRef<HTMLHeadingElement>(null);
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
  const title = batch ? batchTitle(batch) : undefined;
  const p = batch?.progress;

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
      {liveError ? (
        <ErrorNotice
          errors={[
            {
              message: liveError.message,
              extensions: { code: liveError.code, ...(liveError.provider ? { provider: liveError.provider } : {}) },
            },
          ]}
          context="(no longer watched live)"
        />
      ) : null}
      {!batch && detail.loading ? <p className="muted pad">Loading…</p> : null}
      {batch && p ? (
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
            <Fact label="Pending">{formatInt(p.pending)}</Fact>
            <Fact label="Rate">{formatRate(p.ratePerSecond)}</Fact>
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
              <strong>{PROVIDER_NAMES[batch.provider]} says:</strong> {batch.errorMessage}
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

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function ReachSections({ batch }: { batch: ReachDetail }) {
  const errors = useConnectionPager(async (after) => {
    const r = await gql(ReachRecordErrorsDocument, { id: batch.id, first: ITEMS_PAGE, after });
    const node = r.data?.node as Extract<NonNullable<ReachRecordErrorsQuery['node']>, { __typename: 'ReachBatch' }>;
    return { page: node?.recordErrors ?? null, ...(r.errors ? { errors: r.errors } : {}) };
  }, `${batch.id}|${batch.observedAt}`);
  const pending = useConnectionPager(async (after) => {
    const r = await gql(ReachPendingResourcesDocument, { id: batch.id, first: ITEMS_PAGE, after });
    const node = r.data?.node as Extract<NonNullable<ReachPendingResourcesQuery['node']>, { __typename: 'ReachBatch' }>;
    return { page: node?.pendingResources ?? null, ...(r.errors ? { errors: r.errors } : {}) };
  }, batch.id);
  return (
    <>
      <dl className="facts">
        <Fact label="Type">{batch.batchTypeRaw}</Fact>
        <Fact label="Schema">{batch.schemaName ?? '—'}</Fact>
        <Fact label="Schema id">
          <span className="mono small break">{batch.schemaDefinitionId ?? '—'}</span>
        </Fact>
        <Fact label="Success rate">{formatPercent(batch.successRate)}</Fact>
        <Fact label="Pending records">{formatInt(batch.pendingRecords)}</Fact>
        <Fact label="Pending until">{formatFull(batch.pendingExpiresAt)}</Fact>
      </dl>
      <ClientPaged title="Error summary" items={batch.errorSummary} empty="No record errors.">
        {(rows) => (
          <table className="mini">
            <thead>
              <tr>
                <th scope="col">Category</th>
                <th scope="col">Records</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.category}>
                  <td>{r.category}</td>
                  <td className="num">{formatInt(r.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ClientPaged>
      <PagedSection title="Record errors" pager={errors} empty="No record errors.">
        {(nodes) => (
          <table className="mini">
            <thead>
              <tr>
                <th scope="col">External id</th>
                <th scope="col">Errors</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((r) => (
                <tr key={r.externalId}>
                  <td className="mono small">{r.externalId}</td>
                  <td>
                    {r.errors.join('; ')}
                    {r.categories.length ? <span className="muted small"> ({r.categories.join(', ')})</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedSection>
      <PagedSection title="Pending resources" pager={pending} empty="No resources waiting for dependencies.">
        {(nodes) => (
          <table className="mini">
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col">Waiting for</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((r) => (
                <tr key={r.id}>
                  <td>
                    <span className="mono small">{r.resourceExternalId}</span>
                    <span className="muted small"> {r.schemaName ?? r.schemaDefinitionId}</span>
                  </td>
                  <td className="small">
                    {r.missingDependencies
                      .map((d) => `${d.schemaName ?? d.schemaDefinitionId} ${d.externalId}`)
                      .join(', ')}
                  </td>
                  <td className="small">{formatFull(r.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
  }, `${batch.id}|${batch.observedAt}`);
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
            <table className="mini" data-testid="validation-errors">
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r, i) => (
                  <tr key={`${r.row}-${i}`}>
                    <td className="num">{r.row}</td>
                    <td>{r.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </ClientPaged>
      ) : null}
      <PagedSection title="Items" pager={items} empty="No items yet.">
        {(nodes) => (
          <table className="mini" data-testid="items">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Claim</th>
                <th scope="col">Status</th>
                <th scope="col">Verdict</th>
                <th scope="col">Confidence</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((item) => (
                <tr key={item.id}>
                  <td className="num">{item.itemIndex}</td>
                  <td className="claim" title={item.content ?? ''}>
                    {item.content ?? '—'}
                    {item.errorMessage ? <span className="bad small"> {item.errorMessage}</span> : null}
                  </td>
                  <td className="small">{item.statusRaw}</td>
                  <td>{item.verdict ?? '—'}</td>
                  <td className="num">{item.confidence == null ? '—' : item.confidence.toFixed(2)}</td>
                  <td>
                    {item.decision ? (
                      <span className={`decision decision-${item.decision.toLowerCase()}`}>{item.decision}</span>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedSection>
    </>
  );
}

function GameballSections({ batch }: { batch: GameballDetail }) {
  return (
    <>
      <dl className="facts">
        <Fact label="Gameball's progress">{formatPercent(batch.providerProgress)}</Fact>
        <Fact label="Items">
          {formatInt(batch.processedItems)} of {formatInt(batch.totalItems)}
        </Fact>
        <Fact label="Failed items">{formatInt(batch.failedItems)}</Fact>
      </dl>
      <ClientPaged title="Item errors" items={batch.itemErrors} empty="No item errors.">
        {(rows) => (
          <table className="mini">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Error</th>
                <th scope="col">Code</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  <td className="mono small">{r.customerId ?? '—'}</td>
                  <td>{r.message ?? '—'}</td>
                  <td className="num">{r.code ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ClientPaged>
      <ClientPaged title="Results" items={batch.results} empty="No results yet.">
        {(rows) => (
          <table className="mini">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Amount</th>
                <th scope="col">Points</th>
                <th scope="col">Transaction</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  <td className="mono small">{r.customerId ?? '—'}</td>
                  <td className="num">{r.amount ?? '—'}</td>
                  <td className="num">{r.points ?? '—'}</td>
                  <td className="mono small">{r.transactionId ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ClientPaged>
    </>
  );
}
