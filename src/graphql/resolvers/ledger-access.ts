import type { GraphQLContext } from '../context.js';
import { ErrorCode, GatewayError } from '../../domain/errors.js';
import type { Ledger } from '../../ledger/ledger.js';

/** The refusal of a field the ledger answers (`what`, as people read it) when the ledger cannot answer. */
export const ledgerUnavailable = (what: string) =>
  new GatewayError(
    ErrorCode.LEDGER_UNAVAILABLE,
    `${what} needs the ledger, which is off (LEDGER=off) or cannot be read (see /ready)`,
  );

/** The ledger, when it can answer `what`; `LEDGER_UNAVAILABLE` otherwise. */
export function readableLedger(ctx: GraphQLContext, what: string): Ledger {
  const ledger = ctx.gateway.ledger?.ledger;
  if (!ledger || ledger.state().state === 'unavailable') throw ledgerUnavailable(what);
  return ledger;
}
