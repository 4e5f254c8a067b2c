import { useState } from 'react';
import type { BatchStatus } from '../__generated__/graphql';
import { PROVIDER_NAMES, STATUS_LABELS, STATUSES } from '../format';
import type { ViewState } from '../url-state';

/** Provider, status and created-range filters; every change is kept in the URL. */
export function Filters({ view, onChange }: { view: ViewState; onChange(patch: Partial<ViewState>): void }) {
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
            <option value="REACH">{PROVIDER_NAMES.REACH}</option>
            <option value="FACT_CHECK">{PROVIDER_NAMES.FACT_CHECK}</option>
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
          <legend>Created</legend>
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
