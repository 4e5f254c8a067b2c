import { useState } from 'react';
import type { BatchStatus, ProvidersQuery } from '../__generated__/graphql';
import { STATUS_LABELS, STATUSES, zoneName } from '../format';
import { useProviderName } from '../provider-names';
import type { ViewState } from '../url-state';

type Info = Pick<ProvidersQuery['providers'][number], 'provider' | 'displayName' | 'listed'>;

/**
 * Provider, status and created-range filters; every change is kept in the URL. The provider choices are
 * the providers that list (`Query.providers`, in its order); none but "All" until it has answered.
 */
export function Filters({
  view,
  providers,
  onChange,
}: {
  view: ViewState;
  providers: readonly Info[] | undefined;
  onChange(patch: Partial<ViewState>): void;
}) {
  const nameOf = useProviderName();
  const listing = (providers ?? []).filter((p) => p.listed);
  // The URL's provider keeps its choice shown even when it does not list (or before the answer).
  const other = view.provider && !listing.some((p) => p.provider === view.provider) ? view.provider : undefined;
  const toggle = (status: BatchStatus) =>
    onChange({
      statuses: view.statuses.includes(status)
        ? view.statuses.filter((s) => s !== status)
        : STATUSES.filter((s) => s === status || view.statuses.includes(s)),
    });
  // On a phone the filters fold away behind one button (always shown on wider screens).
  const [expanded, setExpanded] = useState(false);
  const active = (view.provider ? 1 : 0) + view.statuses.length + (view.from ? 1 : 0) + (view.to ? 1 : 0);
  return (
    <form className={`filters${expanded ? ' expanded' : ''}`} aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <button
        type="button"
        className="btn filters-toggle"
        aria-expanded={expanded}
        aria-controls="filter-fields"
        onClick={() => setExpanded(!expanded)}
      >
        Filters{active ? ` (${active})` : ''} {expanded ? '▴' : '▾'}
      </button>
      <div className="filter-fields" id="filter-fields">
        <label className="field-inline">
          <span>Provider</span>
          <select
            value={view.provider ?? ''}
            onChange={(e) => onChange({ provider: (e.target.value || undefined) as ViewState['provider'] })}
          >
            <option value="">All that list</option>
            {listing.map((p) => (
              <option key={p.provider} value={p.provider}>
                {p.displayName}
              </option>
            ))}
            {other ? <option value={other}>{nameOf(other)}</option> : null}
          </select>
        </label>
        <fieldset className="chips">
          <legend>Status</legend>
          {STATUSES.filter((s) => s !== 'UNKNOWN').map((s) => (
            <button
              key={s}
              type="button"
              className={`chip chip-${s.toLowerCase()}`}
              aria-pressed={view.statuses.includes(s)}
              onClick={() => toggle(s)}
            >
              {STATUS_LABELS[s]}
            </button>
          ))}
        </fieldset>
        <fieldset className="range">
          {/* The inputs take the viewer's local time; the legend names its zone, as every time shown does. */}
          <legend>Created ({zoneName()})</legend>
          <label className="field-inline">
            <span className="visually-hidden">Created from</span>
            <input type="datetime-local" value={view.from} onChange={(e) => onChange({ from: e.target.value })} />
          </label>
          <span aria-hidden="true" className="muted">
            –
          </span>
          <label className="field-inline">
            <span className="visually-hidden">Created before</span>
            <input type="datetime-local" value={view.to} onChange={(e) => onChange({ to: e.target.value })} />
          </label>
        </fieldset>
        <button
          type="button"
          className="btn btn-ghost clear"
          disabled={!(view.provider || view.statuses.length || view.from || view.to)}
          onClick={() => onChange({ provider: undefined, statuses: [], from: '', to: '' })}
        >
          Clear filters
        </button>
      </div>
    </form>
  );
}
