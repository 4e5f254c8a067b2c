import type { GraphQLResolveInfo } from 'graphql';
import { scopeOf, type GraphQLContext } from '../context.js';
import type { Batch, ProviderName } from '../../domain/batch.js';
import { ErrorCode, GatewayError, badInput, notConfigured } from '../../domain/errors.js';
import type { DecodedGlobalId } from '../../domain/global-id.js';
import { DEFAULT_ORDER, needsLedger, type BatchListFilter, type ListOrder } from '../../domain/listing.js';
import { loadBatch } from '../load-batch.js';
import { wantsPendingDetails } from '../selection.js';
import { ledgerFilter, ledgerSource, listsUpstream, viewerOf } from './ledger-lists.js';
import { bindingOf } from './cursor.js';
import { mergeForward, type ListSource, type Positions, type SourcePosition, type Totals } from './merge.js';
import { fetchWindow, pageArgs, type EdgeIndex, type PageArgs } from './window.js';

/** Why a provider adds nothing to a list; values equal the GraphQL `ProviderExclusionReason`. */
type ExclusionReason = 'NOT_CONFIGURED' | 'CANNOT_LIST' | 'ORDER_NOT_SUPPORTED' | 'FILTERED_OUT';

/** An edge of a batch list. */
export interface BatchEdgeModel {
  cursor: string;
  node: Batch;
}

/** The connection object resolvers return (GraphQL `BatchConnection` and the per-provider ones). */
export interface BatchConnectionModel {
  edges: BatchEdgeModel[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number | null;
  excludedProviders: { provider: ProviderName; reason: ExclusionReason; message: string }[];
}

/** Arguments of `batches` and of the per-provider list fields, already mapped to the domain. */
export interface BatchListArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter: BatchListFilter;
  order?: ListOrder | null;
}

/** Which list is being read: the merged one or one provider's, and whether failures are fatal. */
export interface BatchListScope {
  /** The list field's name (it binds the cursors to the list). */
  field: string;
  candidates: readonly ProviderName[];
  /** Per-provider lists throw the provider's error; the merged list keeps the healthy providers' edges. */
  partial: boolean;
}

/**
 * Resolves a batch list connection: plans each provider (pushdown or exclusion), then pages
 * forward with the k-way merge, or, for `last`/`before`, by offset arithmetic where the only
 * source is offset-paged and filters are fully pushed down.
 */
export async function resolveBatchList(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  scope: BatchListScope,
  args: BatchListArgs,
): Promise<BatchConnectionModel> {
  const page = pageArgs(args);
  const order = args.order ?? DEFAULT_ORDER;
  // A filter only the ledger answers is answered by it for every provider; a global id searched is that batch.
  const fromLedger = needsLedger(args.filter);
  const { filter, direct } = fromLedger ? ledgerFilter(ctx, args.filter) : { filter: args.filter, direct: undefined };
  const ledger = ctx.gateway.ledger?.ledger;
  const ledgerReadable = ledger !== undefined && ledger.state().state !== 'unavailable';
  if (fromLedger && !ledgerReadable)
    throw new GatewayError(
      ErrorCode.LEDGER_UNAVAILABLE,
      '`search`, `finishedAfter` and `finishedBefore` are answered from the ledger, which is off (LEDGER=off) or ' +
        'cannot be read (see /ready)',
    );
  const excluded: BatchConnectionModel['excludedProviders'] = [];
  const sources: ListSource[] = [];
  const exactness: Partial<Record<ProviderName, boolean>> = {};

  for (const name of scope.candidates) {
    if (filter.providers && !filter.providers.includes(name)) continue;
    const adapter = ctx.gateway.providers[name];
    if (!adapter) {
      if (!scope.partial) throw notConfigured(name);
      excluded.push({ provider: name, reason: 'NOT_CONFIGURED', message: notConfigured(name).message });
      continue;
    }
    const upstream = listsUpstream(ctx, name);
    if (!upstream || fromLedger) {
      // A ledger without a store (it could not be opened) lists nothing: the provider is excluded, as without one.
      if (ledger && ledgerReadable) {
        // The batches batchql knows: all of the caller's scope for a provider that lists them upstream too, else
        // those the caller's tenant saw or submitted.
        sources.push(ledgerSource(ctx, name, ledger, filter, order, upstream ? null : viewerOf(ctx)));
        exactness[name] = true;
        // Cross-replica listing needs the shared store: said on every list that would miss other replicas' rows.
        if (ctx.gateway.ledger?.perReplica)
          ctx.notes.warn({
            code: 'LEDGER_PER_REPLICA',
            provider: name,
            message:
              `${name}'s batches are listed from this replica's own ledger: with several replicas (REDIS_URL) ` +
              'set DATABASE_URL so every replica lists them all (docs/ledger.md)',
            path: info.path,
          });
        continue;
      }
      excluded.push({
        provider: name,
        reason: 'CANNOT_LIST',
        message: `${name} has no list endpoint; fetch its batches by id with node or batch`,
      });
      continue;
    }
    const plan = adapter.planList!(filter, order);
    if (!plan.ok) {
      excluded.push({ provider: name, reason: plan.reason, message: `${name}: ${plan.message}` });
      continue;
    }
    const listPage = adapter.listPage!.bind(adapter);
    const pushdownKey = JSON.stringify(plan.pushdown);
    exactness[name] = plan.exact;
    sources.push({
      provider: name,
      exact: plan.exact,
      offsetBased: adapter.capabilities.pagination === 'OFFSET',
      firstToken: adapter.capabilities.firstPageToken,
      rank: adapter.capabilities.listRank,
      fetch: (ref) =>
        // A page costs one call of this request's budget when it has to be read; a read shared with
        // other requests goes on while any of them waits, and stops when all have gone.
        ctx.budget.call(
          name,
          (signal) =>
            ctx.gateway.lists.pageCache.get(
              [
                listPagePrefix(ctx, name),
                pushdownKey,
                String(ref.token),
                ref.size,
                wantsPendingDetails(info, adapter.capabilities),
              ].join('\u0000'),
              signal,
              (shared) => {
                ctx.budget.take(name);
                return listPage(plan.pushdown, ref, {
                  includePendingDetails: wantsPendingDetails(info, adapter.capabilities),
                  signal: shared,
                  ...(ctx.tenant ? { tenant: ctx.tenant } : {}),
                });
              },
            ),
          false,
        ),
    });
  }
  for (const exclusion of excluded) {
    if (exclusion.reason !== 'FILTERED_OUT')
      ctx.notes.warn({
        code: `PROVIDER_${exclusion.reason}`,
        provider: exclusion.provider,
        message: exclusion.message,
        path: info.path,
      });
  }

  const binding = bindingOf({
    field: scope.field,
    filter,
    order,
    scope: sources.map((s) => `${s.provider}:${s.ledger ? `ledger:${viewerOf(ctx)}:` : ''}${scopeOf(ctx, s.provider)}`),
  });
  const decode = (cursor: string, argument: 'after' | 'before'): { s: Positions; c: Totals } => {
    const payload = ctx.gateway.lists.codec.decode(binding, cursor, argument) as { s?: Positions; c?: Totals } | null;
    const invalid = () => badInput(`\`${argument}\` is not a cursor this list issued`);
    if (!payload || typeof payload !== 'object' || typeof payload.s !== 'object' || payload.s === null) throw invalid();
    for (const source of sources) if (!(source.provider in payload.s)) throw invalid();
    return { s: payload.s, c: typeof payload.c === 'object' && payload.c !== null ? payload.c : {} };
  };
  const encode = (positions: Positions, totals: Totals = {}) =>
    ctx.gateway.lists.codec.encode(binding, { s: positions, c: totals });
  const afterCursor = page.after !== null ? decode(page.after, 'after') : null;
  const after = afterCursor?.s ?? null;
  const before = page.before !== null ? decode(page.before, 'before').s : null;

  if (sources.length === 0) {
    return {
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      totalCount: 0,
      excludedProviders: excluded,
    };
  }

  if (direct) return directHit(ctx, info, direct, sources, encode, excluded);

  if (page.last !== null || before !== null)
    return backward(ctx, info, scope, page, sources, after, before, encode, excluded);

  const merged = await mergeForward({
    sources,
    positions: after,
    totals: afterCursor?.c ?? null,
    first: page.first!,
    filter,
    order,
  });
  reportFailures(ctx, info, scope, merged.failures);
  const edges = merged.edges.map((e) => ({ node: e.node, cursor: encode(e.positions, e.totals) }));
  const failed = new Set(merged.failures.map((f) => f.provider));
  const totals = sources.map((s) =>
    exactness[s.provider] && !failed.has(s.provider) ? merged.totals[s.provider] : null,
  );
  return {
    edges,
    pageInfo: {
      hasNextPage: merged.hasNextPage,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      // A page left empty by the read cap still says where the scan stopped, so the client can go on.
      endCursor:
        edges.at(-1)?.cursor ?? (merged.hasNextPage ? encode(merged.resume.positions, merged.resume.totals) : null),
    },
    totalCount: totals.every((t): t is number => typeof t === 'number') ? totals.reduce((a, b) => a + b, 0) : null,
    excludedProviders: excluded,
  };
}

/**
 * `last`/`before` paging. Only an offset-paged source whose filter is fully pushed down has
 * absolute positions to count back from; cursor-paged providers' cursors only go forward.
 */
async function backward(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  scope: BatchListScope,
  page: PageArgs,
  sources: ListSource[],
  after: Positions | null,
  before: Positions | null,
  encode: (positions: Positions, totals?: Totals) => string,
  excluded: BatchConnectionModel['excludedProviders'],
): Promise<BatchConnectionModel> {
  const source = sources[0]!;
  if (sources.length !== 1 || !source.offsetBased || !source.exact) {
    throw badInput(
      '`last`/`before` need a list served by one offset-paged provider with every filter pushed down ' +
        '(`Query.providers` shows which paginate by OFFSET); cursor-paged lists only go forward: page with ' +
        '`first`/`after`',
    );
  }
  const name = source.provider;
  /** A cursor stores the position after its edge; its edge's index is one less ('end': past the last). */
  const edgeIndex = (positions: Positions | null): EdgeIndex => {
    if (positions === null) return null;
    const pos: SourcePosition | null | undefined = positions[name];
    if (pos === null || pos === undefined) return 'end';
    if (typeof pos.t !== 'number' || !Number.isInteger(pos.t) || pos.t < 0 || !Number.isInteger(pos.k) || pos.k < 0)
      throw badInput('cursor is not valid for this list');
    return pos.t + pos.k - 1;
  };
  const size = Math.max(page.first ?? 0, page.last ?? 0);
  try {
    const {
      window: w,
      items,
      total,
    } = await fetchWindow(
      { first: page.first, last: page.last, after: edgeIndex(after), before: edgeIndex(before) },
      // An offset-paged provider's page always says its total (or null): never the ledger's "not counted again".
      async (offset, limit) => {
        const fetched = await source.fetch({ token: offset, size: limit });
        return { ...fetched, total: fetched.total ?? null };
      },
    );
    const edges = items.map((node, i) => ({
      node,
      cursor: encode({ [name]: { t: w.start + i + 1, n: size, k: 0 } }, { [name]: total }),
    }));
    return {
      edges,
      pageInfo: {
        hasNextPage: w.hasNextPage,
        hasPreviousPage: w.hasPreviousPage,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: total,
      excludedProviders: excluded,
    };
  } catch (error) {
    if (scope.partial && error instanceof GatewayError && error.provider) {
      reportFailures(ctx, info, scope, [{ provider: name, error }]);
      return {
        edges: [],
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
        totalCount: null,
        excludedProviders: excluded,
      };
    }
    throw error;
  }
}

/**
 * A search for a global id: that batch alone, read as `node` reads it (from the ledger when it is finished and
 * stored, else from its provider), or no edge when it does not exist. Its cursor ends the list.
 */
async function directHit(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  direct: DecodedGlobalId,
  sources: ListSource[],
  encode: (positions: Positions) => string,
  excluded: BatchConnectionModel['excludedProviders'],
): Promise<BatchConnectionModel> {
  let node: Batch | undefined;
  try {
    node = await loadBatch(ctx, info, direct.provider, direct.providerBatchId);
  } catch (error) {
    if (!(error instanceof GatewayError && error.code === ErrorCode.NOT_FOUND)) throw error;
  }
  const edges = node ? [{ node, cursor: encode(Object.fromEntries(sources.map((s) => [s.provider, null]))) }] : [];
  return {
    edges,
    pageInfo: {
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[0]?.cursor ?? null,
    },
    totalCount: edges.length,
    excludedProviders: excluded,
  };
}

function reportFailures(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  scope: BatchListScope,
  failures: { provider: ProviderName; error: unknown }[],
): void {
  if (failures.length === 0) return;
  // A per-provider list has nothing healthy to keep: its provider's failure is the field's error.
  if (!scope.partial) throw failures[0]!.error;
  for (const f of failures) ctx.notes.error(f.error, info.path);
}

/**
 * The start of the page-cache keys of one provider's list in the caller's credential scope: a write
 * that changes the list forgets them (`PageCache.forget`), so the writer's next list shows its batch.
 */
export function listPagePrefix(ctx: Pick<GraphQLContext, 'tenant' | 'gateway'>, provider: ProviderName): string {
  return `${provider}\u0000${scopeOf(ctx, provider)}`;
}
