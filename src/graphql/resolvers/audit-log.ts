import type { GraphQLContext } from '../context.js';
import { bindingOf } from '../connections/cursor.js';
import { idPosition, readKeyset } from '../connections/keyset.js';
import { ErrorCode, GatewayError } from '../../domain/errors.js';
import { fromGlobalId, toGlobalId } from '../../domain/global-id.js';
import type { AuditFilter, StoredAuditEntry } from '../../ledger/audit.js';
import type { BatchFacts } from '../../ledger/ledger.js';
import type { Batch } from '../../domain/batch.js';
import type {
  AuditEntryResolvers,
  AuditLogFilter,
  BatchLedgerEntryResolvers,
  QueryResolvers,
} from '../__generated__/resolvers-types.js';
import { scopeOf } from '../context.js';
import { ledgerUnavailable, readableLedger } from './ledger-access.js';

/** How refusals name the audit log. */
const AUDIT_LOG = 'the audit log';

/** The most entries one page of the audit log holds. */
const MAX_AUDIT_PAGE = 100;

/**
 * The one refusal of an operator feature to a caller without the operator scope. With `AUTH_MODE=none`
 * (`canOperate` undefined) everyone is an operator, as everyone may write.
 */
export function assertOperator(ctx: GraphQLContext): void {
  if (ctx.principal.canOperate === false)
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      `this needs the "${ctx.gateway.ledger?.operatorScope ?? 'batches:operate'}" scope in the token's scope or scp ` +
        'claim (JWT_OPERATOR_SCOPE)',
    );
}

/** The store's filter for this caller: a tenant's operator sees that tenant's entries only. */
function auditFilterOf(ctx: GraphQLContext, filter: AuditLogFilter | null | undefined): AuditFilter {
  const out: AuditFilter = {};
  if (ctx.tenant !== undefined) out.tenant = ctx.tenant;
  if (filter?.subject != null) out.subject = filter.subject;
  if (filter?.batchId != null) {
    const { provider, providerBatchId } = fromGlobalId(filter.batchId, ctx.gateway.providerNames);
    out.provider = provider;
    out.providerBatchId = providerBatchId;
  }
  if (filter?.mutations != null) out.mutations = filter.mutations;
  if (filter?.from != null) out.from = new Date(filter.from);
  if (filter?.to != null) out.to = new Date(filter.to);
  return out;
}

/** `Query.auditLog`. */
export const auditLogQuery: QueryResolvers = {
  auditLog: async (_, { filter, first, after, last, before }, ctx) => {
    assertOperator(ctx);
    const ledger = readableLedger(ctx, AUDIT_LOG);
    const where = auditFilterOf(ctx, filter);
    const binding = bindingOf({ field: 'auditLog', filter: where });
    const { codec } = ctx.gateway.lists;
    const {
      backward,
      size,
      from: fromId,
    } = readKeyset(
      ctx,
      binding,
      { first, after, last, before },
      { what: 'the audit log', issuer: 'list', max: MAX_AUDIT_PAGE, size: 20, position: idPosition },
    );
    let rows: StoredAuditEntry[];
    try {
      rows = await ledger.auditEntries(where, fromId, size, backward);
    } catch {
      throw ledgerUnavailable(AUDIT_LOG);
    }
    const more = rows.length > size;
    const page = backward ? rows.slice(0, size).reverse() : rows.slice(0, size);
    const edges = page.map((node) => ({ cursor: codec.encode(binding, { i: node.id }), node }));
    return {
      edges,
      pageInfo: {
        hasNextPage: backward ? false : more,
        hasPreviousPage: backward ? more : false,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  },
};

/** `AuditEntry`'s fields the stored entry does not carry as they are. */
export const AuditEntry: AuditEntryResolvers = {
  id: (entry) => String(entry.id),
  batchId: (entry) =>
    entry.provider && entry.providerBatchId ? toGlobalId(entry.provider, entry.providerBatchId) : null,
};

/** `BatchLedgerEntry.submittedHere`. */
export const BatchLedgerEntry: BatchLedgerEntryResolvers = {
  submittedHere: (facts) => facts.submitted,
};

/**
 * `Batch.ledger`: how batchql came to know the batch. Who submitted it is shown only to callers of the
 * submitting tenant (every caller when there are no tenants), as other tenants may read the batch by id.
 */
export async function ledgerEntryOf(batch: Batch, ctx: GraphQLContext): Promise<BatchFacts | null> {
  const ledger = ctx.gateway.ledger?.ledger;
  if (!ledger) return null;
  const facts = await ledger.facts({
    provider: batch.provider,
    scope: scopeOf(ctx, batch.provider),
    providerBatchId: batch.providerBatchId,
  });
  if (!facts) return null;
  const own = facts.submittedTenant === (ctx.tenant ?? null);
  return own ? facts : { ...facts, submittedBy: null, submittedTenant: null };
}
