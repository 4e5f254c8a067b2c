import type { GraphQLResolveInfo } from 'graphql';
import { scopeOf, type GraphQLContext } from '../context.js';
import type { Batch, ProviderName } from '../../domain/batch.js';
import { ErrorCode, GatewayError, USER_ERROR_CODES } from '../../domain/errors.js';
import { fromGlobalId } from '../../domain/global-id.js';
import type { AuditOutcome } from '../../ledger/audit.js';
import { readLacks } from '../../ledger/recording.js';
import type { UserErrorModel } from './user-errors.js';

/** Refusals that are the caller's (its input, its scope, its key), not a failure: `REFUSED`. */
const REFUSALS: ReadonlySet<string> = new Set([
  ...USER_ERROR_CODES,
  ErrorCode.FORBIDDEN,
  ErrorCode.IDEMPOTENCY_KEY_LIMIT,
  ErrorCode.PROVIDER_QUOTA_EXCEEDED,
  ErrorCode.CONFLICT,
]);

/** How a mutation ended, as `runWrite` saw it: its payload (and how a keyed write was answered), or its error. */
type Ending =
  { payload: { userErrors: readonly UserErrorModel[]; batch?: Batch | null }; how: string } | { error: unknown };

/** The batch a write is about: the one its payload carries, else the one its `id` argument names. */
function subjectOf(
  ctx: GraphQLContext,
  args: Record<string, unknown>,
  batch: Batch | null | undefined,
): { provider: ProviderName | null; providerBatchId: string | null } {
  if (batch) return { provider: batch.provider, providerBatchId: batch.providerBatchId };
  if (typeof args.id === 'string')
    try {
      return fromGlobalId(args.id, ctx.gateway.providerNames);
    } catch {
      // A bad id: the write was refused for it, about no batch.
    }
  return { provider: null, providerBatchId: null };
}

/**
 * Writes the audit entry of one mutation (docs/ledger.md, "The audit log"), and records a batch it created as
 * submitted through batchql, by the caller's subject and tenant. A write that names an existing batch (`id`) is
 * `DONE`; one that made a batch or stored a file is `CREATED`. Never throws: the ledger queues it.
 */
export function audit(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  args: Record<string, unknown>,
  ending: Ending,
): void {
  const ledger = ctx.gateway.ledger?.ledger;
  if (!ledger) return;
  let outcome: AuditOutcome;
  let code: string | null = null;
  let message: string | null = null;
  let batch: Batch | null | undefined;
  if ('error' in ending) {
    const error = ending.error;
    code = error instanceof GatewayError ? error.code : 'INTERNAL_SERVER_ERROR';
    message = error instanceof GatewayError ? error.message : null;
    outcome = code === ErrorCode.OUTCOME_UNKNOWN ? 'UNKNOWN' : REFUSALS.has(code) ? 'REFUSED' : 'FAILED';
  } else {
    batch = ending.payload.batch;
    const refusal = ending.payload.userErrors[0];
    if (refusal) {
      outcome = 'REFUSED';
      code = refusal.code;
      message = refusal.message;
    } else if (ending.how === 'replayed') outcome = 'REPLAYED';
    else outcome = typeof args.id === 'string' ? 'DONE' : 'CREATED';
  }
  const { provider, providerBatchId } = subjectOf(ctx, args, batch);
  const key = args.idempotencyKey;
  ledger.audit(
    {
      at: new Date(),
      mutation: info.fieldName,
      provider,
      providerBatchId,
      subject: ctx.principal.subject ?? null,
      tenant: ctx.tenant ?? null,
      client: ctx.client.key,
      requestId: ctx.requestId ?? null,
      idempotencyKey: typeof key === 'string' ? key : null,
      outcome,
      code,
      message,
    },
    // The write is an event of the batch's timeline, in the caller's credential scope.
    provider ? scopeOf(ctx, provider) : undefined,
  );
  const adapter = batch ? ctx.gateway.providers[batch.provider] : undefined;
  if (outcome === 'CREATED' && batch && adapter) {
    const scope = scopeOf(ctx, batch.provider);
    ledger.submitted(
      batch,
      { scope, lacks: readLacks(adapter, false) },
      { subject: ctx.principal.subject ?? null, tenant: ctx.tenant ?? null },
    );
    // Read until it finishes, whoever stays connected (docs/live-progress.md, "Background watching").
    if (!batch.isTerminal)
      ctx.gateway.live.background?.add({
        provider: batch.provider,
        providerBatchId: batch.providerBatchId,
        includePendingDetails: false,
        scope,
        ...(ctx.tenant ? { tenant: ctx.tenant } : {}),
      });
  }
}
