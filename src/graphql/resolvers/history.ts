import type { GraphQLContext } from '../context.js';
import { scopeOf } from '../context.js';
import { bindingOf } from '../connections/cursor.js';
import { keysetConnection, readKeyset } from '../connections/keyset.js';
import type { TimelineConnectionModel } from '../connections/timeline-connection.js';
import { badInput } from '../../domain/errors.js';
import { BATCH_STATUSES, type Batch, type BatchHealth, type ProviderName } from '../../domain/batch.js';
import type { TimelineEvent, TimelineKind } from '../../ledger/events.js';
import { downsampled } from '../../ledger/history.js';
import type { BatchKey, Ledger } from '../../ledger/ledger.js';
import type { Visible } from '../../ledger/queries.js';
import type { QueryResolvers, Resolvers } from '../__generated__/resolvers-types.js';
import { ledgerFilter, listsUpstream, viewerOf } from '../connections/ledger-lists.js';
import { toFilter } from './lists.js';
import { ledgerUnavailable as unavailable, readableLedger } from './ledger-access.js';

/** The most events one page of a timeline holds. */
const MAX_TIMELINE_PAGE = 100;
/** The bounds of `progressSeries(maxPoints)`. */
const MIN_POINTS = 2;
const MAX_POINTS = 2000;

/** The ledger's key of `batch` in the caller's credential scope. */
export const keyOf = (ctx: GraphQLContext, batch: Batch): BatchKey => ({
  provider: batch.provider,
  scope: scopeOf(ctx, batch.provider),
  providerBatchId: batch.providerBatchId,
});

/** `Batch.timeline`: one page of the batch's events, oldest first, in the caller's credential scope. */
async function timeline(
  batch: Batch,
  args: {
    first?: number | null;
    after?: string | null;
    last?: number | null;
    before?: string | null;
    kinds?: readonly TimelineKind[] | null;
  },
  ctx: GraphQLContext,
): Promise<TimelineConnectionModel> {
  const ledger = readableLedger(ctx, '`timeline`');
  const key = keyOf(ctx, batch);
  const kinds = args.kinds ? [...new Set(args.kinds)].sort() : undefined;
  const binding = bindingOf({ field: 'timeline', key, kinds: kinds ?? null });
  const { codec } = ctx.gateway.lists;
  const request = readKeyset(ctx, binding, args, {
    what: 'a timeline',
    issuer: 'timeline',
    max: MAX_TIMELINE_PAGE,
    size: 50,
    position: ({ a, i }) =>
      Number.isInteger(a) && Number.isInteger(i) ? { at: a as number, id: i as number } : undefined,
  });
  let rows: TimelineEvent[];
  try {
    rows = await ledger.timeline(key, request.from, request.size, kinds, request.backward);
  } catch {
    throw unavailable('`timeline`');
  }
  // Who wrote is shown to the writing tenant's callers only (every caller when there are no tenants).
  const own = (e: TimelineEvent) => e.kind !== 'WRITE' || e.tenant === (ctx.tenant ?? null);
  return keysetConnection(
    request,
    rows,
    (e) => codec.encode(binding, { a: e.at.getTime(), i: e.id }),
    (e) => (own(e) ? e : { ...e, subject: null, tenant: null }),
  );
}

/** `Batch.progressSeries`: the stored points, downsampled to at most `maxPoints`. */
async function progressSeries(batch: Batch, args: { maxPoints?: number | null }, ctx: GraphQLContext) {
  const ledger = readableLedger(ctx, '`progressSeries`');
  const max = args.maxPoints ?? 200;
  if (!Number.isInteger(max) || max < MIN_POINTS || max > MAX_POINTS)
    throw badInput(`maxPoints must be ${MIN_POINTS} to ${MAX_POINTS}`);
  try {
    return downsampled(await ledger.progress(keyOf(ctx, batch)), max);
  } catch {
    throw unavailable('`progressSeries`');
  }
}

/** The fields every provider's batch type has for its history (`Batch.ts` adds them to each). */
export const historyFields = { timeline, progressSeries };

const counts = (e: TimelineEvent) => e.counts ?? { processed: 0, failed: 0, total: null };

/** The timeline event types: one per kind, each reading its fields from the stored event. */
export const timelineResolvers: Resolvers = {
  TimelineEvent: {
    __resolveType: (e) => `Timeline${e.kind[0]}${e.kind.slice(1).toLowerCase()}Event` as never,
  },
  TimelineStatusEvent: {
    status: (e) => e.status!,
    processed: (e) => counts(e).processed,
    failed: (e) => counts(e).failed,
    total: (e) => counts(e).total,
  },
  TimelineProgressEvent: {
    processed: (e) => counts(e).processed,
    failed: (e) => counts(e).failed,
    total: (e) => counts(e).total,
  },
  TimelineWriteEvent: {
    mutation: (e) => e.mutation ?? '',
    outcome: (e) => e.outcome ?? 'UNKNOWN',
  },
  TimelineWebhookEvent: { eventType: (e) => e.webhookType ?? '' },
  TimelineStaleEvent: { reason: (e) => e.staleReason ?? 'POLL_FAILED' },
  TimelineHealthEvent: { health: (e) => e.health ?? 'UNKNOWN', reason: (e) => e.healthReason },
};

/** Every health, in the `BatchHealth` enum's order. */
const HEALTHS: readonly BatchHealth[] = ['OK', 'SLOW', 'STALLED', 'UNKNOWN'];

/** `Query.batchCounts`: counts in the ledger of the batches the caller may list. */
export const countsQuery: Pick<QueryResolvers, 'batchCounts'> = {
  batchCounts: async (_, args, ctx) => {
    const ledger = readableLedger(ctx, '`batchCounts`');
    const { filter, providers } = ledgerFilter(ctx, toFilter(ctx, args.filter));
    const parts: Visible[] = providers.map((name) => ({
      provider: name,
      scope: scopeOf(ctx, name),
      viewer: listsUpstream(ctx, name) ? null : viewerOf(ctx),
    }));
    let rows: Awaited<ReturnType<Ledger['counts']>>;
    try {
      rows = await ledger.counts(parts, filter);
    } catch {
      throw unavailable('`batchCounts`');
    }
    // Every status, in the enum's order, zero included.
    const byStatus = BATCH_STATUSES.map((status) => ({
      status,
      count: rows.filter((r) => r.status === status).reduce((n, r) => n + r.count, 0),
    }));
    const byProvider = providers.map((provider: ProviderName) => ({
      provider,
      count: rows.filter((r) => r.provider === provider).reduce((n, r) => n + r.count, 0),
    }));
    const byHealth = HEALTHS.map((health) => ({
      health,
      count: rows.filter((r) => r.health === health).reduce((n, r) => n + r.count, 0),
    }));
    return { total: rows.reduce((n, r) => n + r.count, 0), byStatus, byProvider, byHealth };
  },
};
