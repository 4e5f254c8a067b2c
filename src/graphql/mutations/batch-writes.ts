import type { GraphQLResolveInfo } from 'graphql';
import { scopeOf, type GraphQLContext } from '../context.js';
import type { Batch, ProviderName } from '../../domain/batch.js';
import { ErrorCode, GatewayError, notConfigured } from '../../domain/errors.js';
import { fromGlobalId } from '../../domain/global-id.js';
import type { BatchProvider } from '../../domain/provider.js';
import type { FoundWrite, UploadedFile, WriteKind, WriteOutcome, WriteRequest } from '../../domain/writes.js';
import { resolveTarget } from '../load-batch.js';
import { listPagePrefix } from '../connections/batch-list.js';

/** The configured provider whose definition serves `kind`. */
function writerFor(ctx: GraphQLContext, kind: WriteKind): { name: ProviderName; adapter: BatchProvider } {
  const definition = ctx.gateway.definitions.find((d) => d.writes?.includes(kind));
  if (!definition) throw new TypeError(`no provider serves ${kind}`);
  const adapter = ctx.gateway.providers[definition.name];
  if (!adapter?.write) throw notConfigured(definition.name);
  return { name: definition.name, adapter };
}

/**
 * A write's options: the caller's tenant, a signal that never aborts but carries the operation (for its
 * logs), and the write's marker when it has an idempotency key (`runWrite`).
 */
const writeOptions = (ctx: GraphQLContext, marker?: string) => ({
  signal: ctx.budget.writeSignal,
  ...(ctx.tenant ? { tenant: ctx.tenant } : {}),
  ...(marker !== undefined ? { marker } : {}),
});

/**
 * Sends one write (counted in the request's upstream calls, never tied to the client's signal). A
 * write that went through forgets this replica's cached list pages of the provider in the caller's
 * scope, so the caller's next list shows its change (other replicas' pages expire with
 * `LIST_PAGE_CACHE_TTL_MS`).
 */
async function send(
  ctx: GraphQLContext,
  request: WriteRequest,
  marker?: string,
): Promise<{ name: ProviderName; outcome: WriteOutcome }> {
  const { name, adapter } = writerFor(ctx, request.kind);
  ctx.budget.count(name);
  const outcome = await adapter.write!(request, writeOptions(ctx, marker));
  ctx.gateway.lists.pageCache.forget(`${listPagePrefix(ctx, name)}\u0000`);
  if (outcome.kind === 'batch' && outcome.bodyProblems)
    ctx.log.warn(
      { provider: name, providerBatchId: outcome.providerBatchId, problems: outcome.bodyProblems },
      'write accepted: its answer carried the batch id, but the rest did not match the provider docs',
    );
  return { name, outcome };
}

/**
 * A batch the provider accepted but the gateway could not read back: its id, QUEUED, and nothing
 * else known yet (every provider's own fields empty).
 */
function acceptedBatch(provider: ProviderName, providerBatchId: string): Batch {
  const now = new Date();
  return {
    provider,
    providerBatchId,
    status: 'QUEUED',
    providerStatus: '',
    isTerminal: false,
    progress: { total: null, processed: 0, succeeded: null, failed: 0, pending: 0, percent: null },
    createdAt: null,
    startedAt: null,
    completedAt: null,
    errorMessage: null,
    observedAt: now,
    // Every provider type's own fields, empty, so the object serves whichever type `provider` names.
    batchType: null,
    batchTypeRaw: '',
    schemaName: null,
    schemaDefinitionId: null,
    successRate: null,
    pendingRecords: null,
    errorSummary: [],
    recordErrors: [],
    pendingResources: null,
    pendingExpiresAt: null,
    providerProgress: null,
    totalItems: null,
    processedItems: null,
    failedItems: null,
    results: [],
    itemErrors: [],
    name: null,
    inputFormat: null,
    originalFileName: null,
    methods: [],
    context: null,
    totalCostCents: null,
    totalInputTokens: null,
    totalOutputTokens: null,
    validationErrors: [],
    expiresAt: null,
  } as unknown as Batch;
}

/**
 * Reads a batch once after a write. The write has happened whatever this read does, so a failure is
 * no error: the caller gets `fallback` and a `READ_BACK_FAILED` warning in `extensions.warnings`.
 */
async function readBack(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  provider: ProviderName,
  providerBatchId: string,
  fallback: Batch | null,
): Promise<Batch | null> {
  const adapter = ctx.gateway.providers[provider]!;
  if (ctx.gateway.writes.inFlight?.draining) {
    // The write is done; the read-back would only make the shutdown wait
    // (docs/writes.md, "Shutdown and dead replicas").
    ctx.notes.warn({
      code: 'READ_BACK_SKIPPED',
      provider,
      message:
        `${provider} accepted the write; this replica is shutting down, ` +
        `so batch ${providerBatchId} was not read back`,
      path: info.path,
    });
    return fallback;
  }
  ctx.budget.count(provider);
  try {
    return await adapter.get(providerBatchId, writeOptions(ctx));
  } catch (error) {
    ctx.notes.warn({
      code: 'READ_BACK_FAILED',
      provider,
      message:
        `${provider} accepted the write, but reading batch ${providerBatchId} back failed ` +
        `(${error instanceof GatewayError ? error.code : 'error'}); its state follows on the next read or subscription`,
      path: info.path,
    });
    return fallback;
  }
}

/** Submits a write that creates a batch, and answers the batch read back once. */
export async function submitBatch(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  request: WriteRequest,
  marker?: string,
): Promise<{ batch: Batch | null; preview?: unknown }> {
  const { name, outcome } = await send(ctx, request, marker);
  if (outcome.kind === 'preview') return { batch: null, preview: outcome.preview };
  if (outcome.kind !== 'batch') throw new TypeError(`${request.kind} did not create a batch`);
  const id = outcome.providerBatchId;
  return { batch: await readBack(ctx, info, name, id, acceptedBatch(name, id)) };
}

/**
 * The way to look for the batch an earlier submit of `request` with `marker` created, when its provider
 * keeps markers (`BatchProvider.findWrite`), else undefined. What it finds is read back as a submit's is;
 * its reads are charged to the caller's request budget and end with the request.
 */
export function finderOf(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  request: WriteRequest,
):
  | ((marker: string, since: Date) => Promise<{ batch: Batch | null } | Exclude<FoundWrite, { kind: 'found' }>>)
  | undefined {
  const { name, adapter } = writerFor(ctx, request.kind);
  if (!adapter.findWrite) return undefined;
  return async (marker, since) => {
    const found = await ctx.budget.call(
      name,
      (signal) =>
        adapter.findWrite!(request, marker, since, {
          signal,
          ...(ctx.tenant ? { tenant: ctx.tenant } : {}),
          charge: () => ctx.budget.take(name),
        }),
      false,
    );
    if (found.kind !== 'found') return found;
    const id = found.providerBatchId;
    return { batch: await readBack(ctx, info, name, id, acceptedBatch(name, id)) };
  };
}

/** Uploads a file and answers what the provider stored. */
export async function uploadFile(ctx: GraphQLContext, request: WriteRequest): Promise<UploadedFile> {
  const { outcome } = await send(ctx, request);
  if (outcome.kind !== 'file') throw new TypeError(`${request.kind} did not store a file`);
  return outcome.file;
}

/**
 * `CANCEL_OWN_BATCHES_ONLY`: a batch of a provider whose ids every tenant can read (not tenant-scoped) may be
 * cancelled only by the tenant that submitted it through batchql, as the ledger says. Nothing is sent otherwise.
 */
async function assertOwnsBatch(
  ctx: GraphQLContext,
  adapter: BatchProvider,
  provider: ProviderName,
  providerBatchId: string,
): Promise<void> {
  const services = ctx.gateway.ledger;
  if (!services?.cancelOwnBatchesOnly || adapter.capabilities.tenantScoped) return;
  const facts = await services.ledger.facts({ provider, scope: scopeOf(ctx, provider), providerBatchId });
  if (facts?.submitted && facts.submittedTenant === (ctx.tenant ?? null)) return;
  throw new GatewayError(
    ErrorCode.FORBIDDEN,
    `only batches your tenant submitted through batchql can be cancelled here (CANCEL_OWN_BATCHES_ONLY); ` +
      `${provider} batch ${providerBatchId} was not`,
    { provider },
  );
}

/**
 * Cancels a batch by global id, then reads it back. A provider without cancel is refused as
 * `CANNOT_CANCEL` with no upstream call. A cancelled batch's terminal state is settled on every watch of
 * it in this process and broadcast to the other replicas through the coordinator, so every subscriber
 * sees it at once instead of at its next scheduled poll; a state not terminal yet nudges every poll loop
 * of it to read it again now (`PollHub.nudge`).
 */
export async function cancelBatch(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  id: string,
): Promise<{ batch: Batch | null }> {
  const { provider, providerBatchId } = fromGlobalId(id, ctx.gateway.providerNames);
  const adapter = resolveTarget(ctx, provider, providerBatchId);
  if (!adapter.cancel || !adapter.capabilities.canCancel)
    throw new GatewayError(
      ErrorCode.CANNOT_CANCEL,
      `${provider} batches cannot be cancelled: ${provider} has no cancel`,
      {
        provider,
      },
    );
  await assertOwnsBatch(ctx, adapter, provider, providerBatchId);
  ctx.budget.count(provider);
  await adapter.cancel(providerBatchId, writeOptions(ctx));
  ctx.gateway.lists.pageCache.forget(`${listPagePrefix(ctx, provider)}\u0000`);
  const batch = await readBack(ctx, info, provider, providerBatchId, null);
  if (batch) {
    // Terminal: every watch everywhere gets it now. Not yet (the provider is still stopping it): every poll
    // loop of it, here and on the other replicas, reads it again now instead of at its next tick.
    if (batch.isTerminal) await ctx.gateway.live.hub.settle(provider, providerBatchId, batch);
    else ctx.gateway.live.hub.nudge(provider, providerBatchId);
    await ctx.gateway.live.coordinator?.broadcast({ provider, providerBatchId, batch }).catch(() => {});
  }
  return { batch };
}
