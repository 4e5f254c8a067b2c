import { memo } from 'react';
import type { BatchRowFragment, StaleReason } from '../__generated__/graphql';
import type { LiveEntry } from '../live-batches';
import {
  batchTitle,
  formatFull,
  formatInt,
  formatPercent,
  formatWhen,
  isFinished,
  rateText,
  remainderOf,
} from '../format';
import { useProviderName } from '../provider-names';
import { NextRead, ProgressBar, ProviderTag, Relative, StatusBadge } from './common';

/** Why a live row is stale, as its tooltip says (`Batch.staleReason`). */
const STALE_REASONS: Record<StaleReason, string> = {
  POLL_FAILED: 'the latest poll failed',
  BUDGET_WAIT: "the next read waits for the provider's request budget",
  OVERDUE: 'the next read is overdue',
};

/** A row: the listed batch, overlaid with its latest live state. */
export interface Row {
  batch: BatchRowFragment;
  liveError: LiveEntry['error'] | undefined;
  live: boolean;
}

export function BatchTable({
  rows,
  selected,
  onOpen,
  busy,
  placeholders,
}: {
  rows: readonly Row[];
  selected: string | undefined;
  onOpen(id: string): void;
  busy: boolean;
  /** Empty rows of the final height, while the first page loads: nothing moves when it arrives. */
  placeholders: number;
}) {
  return (
    <table className="batches" aria-busy={busy} aria-label="Batches, newest first">
      <thead>
        <tr>
          <th scope="col">Provider</th>
          <th scope="col">Batch</th>
          <th scope="col">Status</th>
          <th scope="col" className="col-progress">
            Progress
          </th>
          <th scope="col">Rate · ETA</th>
          <th scope="col">Created · Finished</th>
          <th scope="col">Freshness</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <BatchRow key={row.batch.id} row={row} selected={row.batch.id === selected} onOpen={onOpen} />
        ))}
        {Array.from({ length: rows.length === 0 ? placeholders : 0 }, (_, i) => (
          <tr key={`placeholder-${i}`} className="placeholder-row" aria-hidden="true">
            <td colSpan={7}>
              <span className="skeleton" />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const BatchRow = memo(function BatchRow({
  row,
  selected,
  onOpen,
}: {
  row: Row;
  selected: boolean;
  onOpen(id: string): void;
}) {
  const { batch, liveError } = row;
  const nameOf = useProviderName();
  const { title, subtitle } = batchTitle(batch, nameOf(batch.provider));
  const p = batch.progress;
  const running = batch.status === 'RUNNING';
  const rest = remainderOf(batch);
  return (
    <tr
      className={selected ? 'selected' : undefined}
      data-id={batch.id}
      data-provider={batch.provider}
      data-status={batch.status}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('button, a')) return;
        onOpen(batch.id);
      }}
    >
      <td data-label="Provider">
        <ProviderTag provider={batch.provider} />
      </td>
      <td data-label="Batch" className="cell-title">
        <button type="button" className="row-open" onClick={() => onOpen(batch.id)} aria-expanded={selected}>
          {title}
        </button>
        <span className="muted mono small">
          {subtitle ? `${subtitle} · ` : ''}
          {batch.providerBatchId}
        </span>
      </td>
      <td data-label="Status">
        <StatusBadge status={batch.status} raw={batch.providerStatus} />
      </td>
      <td data-label="Progress" className="col-progress">
        <div className="progress-line">
          <ProgressBar percent={p.percent} label={`Progress of ${title}`} />
          <span className="percent">{formatPercent(p.percent)}</span>
        </div>
        <span className={`counts small${isFinished(batch.status) ? ' counts-final' : ''}`}>
          <span title="processed of total">
            {formatInt(p.processed)} / {formatInt(p.total)}
          </span>
          <span className="ok" title="succeeded">
            ✓ {formatInt(p.succeeded)}
          </span>
          <span className={p.failed > 0 ? 'bad' : 'muted'} title="failed">
            ✗ {formatInt(p.failed)}
          </span>
          {/* A finished batch's rest is what it never processed; Reach's records stored as pending wait for a
              dependency. Neither is "pending" work: both are named for what they are. */}
          {rest.notProcessed > 0 ? (
            <span className="rest" title={`${formatInt(rest.notProcessed)} items not processed: the batch ended first`}>
              {formatInt(rest.notProcessed)} not processed
            </span>
          ) : rest.awaitingDependencies > 0 ? (
            <span
              className="rest"
              title={`${formatInt(rest.awaitingDependencies)} records stored until a missing dependency arrives`}
            >
              {formatInt(rest.awaitingDependencies)} awaiting dependencies
            </span>
          ) : null}
        </span>
      </td>
      <td data-label="Rate · ETA" className="cell-rate">
        {/* Before two readings there is no rate: "measuring…", never "0.0/min". */}
        <span className="rate">{running ? rateText(p, true) : '—'}</span>
        <span className="eta small">
          {running && p.estimatedCompletionAt ? (
            <>
              ETA <Relative at={p.estimatedCompletionAt} />
            </>
          ) : null}
        </span>
      </td>
      <td data-label="Created · Finished" className="small">
        <span>
          <When at={batch.createdAt} />
        </span>
        <span className="muted">
          {batch.completedAt ? <When at={batch.completedAt} /> : batch.isTerminal ? '' : '…'}
        </span>
      </td>
      <td data-label="Freshness" className="small cell-fresh">
        {liveError ? (
          <span className="live-error" title={liveError.message}>
            {liveError.provider ? `${nameOf(liveError.provider)}: ` : ''}
            {liveError.code}
          </span>
        ) : batch.isTerminal ? (
          <span className="muted">final</span>
        ) : batch.stale ? (
          <span
            className="stale"
            title={`Last read ${batch.observedAt}; ${STALE_REASONS[batch.staleReason ?? 'POLL_FAILED']}`}
          >
            ⚠ stale
          </span>
        ) : row.live ? (
          <span className="live-dot">live</span>
        ) : (
          <span className="muted">listed</span>
        )}
        <span className="muted">
          {batch.nextRefreshAt && !batch.isTerminal ? <NextRead at={batch.nextRefreshAt} /> : ''}
        </span>
      </td>
    </tr>
  );
});

/** A time in a cell, with its zone ("12:11:48 UTC"), the whole date on hover. */
function When({ at }: { at: string | null | undefined }) {
  if (!at) return <>—</>;
  return (
    <time dateTime={at} title={formatFull(at)}>
      {formatWhen(at)}
    </time>
  );
}
