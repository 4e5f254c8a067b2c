import type { ReactNode } from 'react';
import type { BatchProvider, BatchStatus } from '../__generated__/graphql';
import type { GqlError } from '../api/client';
import { formatDuration, formatFull, formatPercent, STATUS_LABELS } from '../format';
import { useProviderName } from '../provider-names';
import { useNow } from '../ticker';

export function StatusBadge({ status, raw }: { status: BatchStatus; raw?: string | undefined }) {
  return (
    <span className="status">
      <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
        {STATUS_LABELS[status]}
      </span>
      {raw !== undefined && (
        <span className="raw" title="The provider's own status word">
          {raw}
        </span>
      )}
    </span>
  );
}

export function ProviderTag({ provider }: { provider: BatchProvider }) {
  const nameOf = useProviderName();
  return (
    <span className={`provider provider-${provider.toLowerCase()}`}>
      <span className="provider-dot" aria-hidden="true" />
      {nameOf(provider)}
    </span>
  );
}

/** A bar that never changes size: only its fill moves (a transform), so live updates shift nothing. */
export function ProgressBar({ percent, label }: { percent: number | null | undefined; label: string }) {
  const value = percent == null ? 0 : Math.max(0, Math.min(100, percent));
  return (
    <div
      className="bar"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(value * 10) / 10}
      aria-valuetext={formatPercent(percent)}
    >
      <div className="bar-fill" style={{ transform: `scaleX(${value / 100})` }} />
    </div>
  );
}

/** "in 3s" / "4s ago", ticking every second; the full time in its title. */
export function Relative({ at, prefix = '' }: { at: string | null | undefined; prefix?: string }) {
  const now = useNow();
  if (!at) return <span>—</span>;
  const delta = Date.parse(at) - now;
  const text =
    Math.abs(delta) < 1_000 ? 'now' : delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
  return (
    <time dateTime={at} title={formatFull(at)}>
      {prefix}
      {text}
    </time>
  );
}

/** Errors of one part of the page, each naming its provider when it is about one. */
export function ErrorNotice({ errors, context }: { errors: readonly GqlError[] | undefined; context?: string }) {
  const nameOf = useProviderName();
  if (!errors?.length) return null;
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = `${e.extensions?.provider ?? ''}|${e.extensions?.code ?? ''}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return (
    <div className="notice notice-error" role="alert">
      {unique.map((e, i) => (
        <p key={i} data-provider={e.extensions?.provider}>
          {e.extensions?.provider ? <strong>{nameOf(e.extensions.provider)}: </strong> : null}
          {e.message}
          {e.extensions?.code ? <code className="code">{e.extensions.code}</code> : null}
          {context ? <span className="notice-context"> {context}</span> : null}
        </p>
      ))}
    </div>
  );
}

export function Pager({
  label,
  page,
  canPrevious,
  canNext,
  onPrevious,
  onNext,
  children,
}: {
  label: string;
  page: number;
  canPrevious: boolean;
  canNext: boolean;
  onPrevious(): void;
  onNext(): void;
  children?: ReactNode;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="btn" disabled={!canPrevious} onClick={onPrevious}>
        ← Previous
      </button>
      <span className="pager-page">Page {page}</span>
      <button type="button" className="btn" disabled={!canNext} onClick={onNext}>
        Next →
      </button>
      {children}
    </nav>
  );
}

/** When the gateway reads the batch next: "next read in 3s", or "read due" once that time has passed. */
export function NextRead({ at }: { at: string }) {
  const now = useNow();
  const delta = Date.parse(at) - now;
  return (
    <time dateTime={at} title={`Next read from the provider: ${formatFull(at)}`}>
      {delta > 500 ? `next read in ${formatDuration(delta)}` : 'read due'}
    </time>
  );
}

/** One column of a `MiniTable`: its header, its cell, and the cell's class. */
export interface Column<T> {
  label: string;
  cell: (row: T) => ReactNode;
  className?: string;
  /** The cell's `title` (the full text of a clipped cell). */
  title?: (row: T) => string;
}

/** The detail panel's small tables: a header row, then one row per item. */
export function MiniTable<T>({
  columns,
  rows,
  rowKey,
  testId,
}: {
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => string | number;
  testId?: string;
}) {
  return (
    <table className="mini" data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.label} scope="col">
              {c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={rowKey(row, i)}>
            {columns.map((c) => (
              <td key={c.label} className={c.className} title={c.title?.(row)}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
