import type { ProvidersQuery } from '../__generated__/graphql';
import type { GqlError } from '../api/client';
import { ErrorNotice } from './common';

type Info = ProvidersQuery['providers'][number];

/** Each provider at a glance: configured, its circuit, and what it can do through the gateway. */
export function ProvidersPanel({ providers, errors }: { providers: readonly Info[] | undefined; errors?: GqlError[] }) {
  return (
    <section className="providers" aria-label="Providers">
      <ErrorNotice errors={errors} />
      <ul className="provider-cards">
        {(providers ?? []).map((p) => {
          const health = !p.configured
            ? 'off'
            : p.circuit === 'OPEN'
              ? 'down'
              : p.circuit === 'HALF_OPEN'
                ? 'probe'
                : 'up';
          return (
            <li key={p.provider} className={`provider-card health-${health}`} data-provider={p.provider}>
              <div className="provider-card-head">
                <span className={`health-dot health-${health}`} aria-hidden="true" />
                <strong>{p.displayName}</strong>
                <span className="muted small">
                  {!p.configured
                    ? 'not configured'
                    : p.circuit === 'OPEN'
                      ? 'circuit open'
                      : p.circuit === 'HALF_OPEN'
                        ? 'circuit half-open'
                        : 'circuit closed'}
                </span>
              </div>
              <div className="caps small">
                <span className={p.canList ? 'cap-yes' : 'cap-no'}>{p.canList ? '✓' : '✗'} lists</span>
                <span className={p.canCancel ? 'cap-yes' : 'cap-no'}>{p.canCancel ? '✓' : '✗'} cancels</span>
                {p.pagination ? <span className="muted">{p.pagination.toLowerCase()} paging</span> : null}
              </div>
            </li>
          );
        })}
        {!providers && !errors ? <li className="provider-card placeholder" aria-hidden="true" /> : null}
      </ul>
    </section>
  );
}
