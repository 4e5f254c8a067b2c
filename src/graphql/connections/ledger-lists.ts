import { scopeOf, type GraphQLContext } from '../context.js';
import type { ProviderName } from '../../domain/batch.js';
import { fromGlobalId, type DecodedGlobalId } from '../../domain/global-id.js';
import type { BatchListFilter, ListOrder } from '../../domain/listing.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { ListSource } from './merge.js';

/** Who a ledger list is for: the caller's tenant (`''`: a caller without one, `AUTH_MODE=none`). */
export function viewerOf(ctx: Pick<GraphQLContext, 'tenant'>): string {
  return ctx.tenant ?? '';
}

/** True when the provider lists its batches upstream: every batch of the caller's scope is the caller's to list. */
export function listsUpstream(ctx: Pick<GraphQLContext, 'gateway'>, name: ProviderName): boolean {
  const adapter = ctx.gateway.providers[name];
  return Boolean(adapter?.planList && adapter.listPage && adapter.capabilities.canList);
}

/**
 * A filter as the ledger answers it (docs/ledger.md, "Counts, filters and search"). A `search` that is a global
 * id becomes that batch's provider and provider id (`direct`: looked up by its key, not matched as text).
 * `providers`: the configured providers the filter leaves in.
 */
export function ledgerFilter(
  ctx: Pick<GraphQLContext, 'gateway'>,
  input: BatchListFilter,
): { filter: BatchListFilter; direct: DecodedGlobalId | undefined; providers: ProviderName[] } {
  let filter = input;
  let direct: DecodedGlobalId | undefined;
  if (input.search !== undefined) {
    try {
      direct = fromGlobalId(input.search.trim(), ctx.gateway.providerNames);
    } catch {
      // Not a global id: text to match.
    }
    if (direct) {
      const providers = (input.providers ?? [direct.provider]).filter((p) => p === direct!.provider);
      filter = { ...input, providers, search: direct.providerBatchId };
    }
  }
  const providers = ctx.gateway.providerNames.filter(
    (name) => ctx.gateway.providers[name] !== undefined && (!filter.providers || filter.providers.includes(name)),
  );
  return { filter, direct, providers };
}

/**
 * One provider's list from the ledger: the rows of the caller's credential scope, only those `viewer` saw or
 * submitted when it is set (a provider without a list upstream: docs/ledger.md, "Every batch is listable"). The
 * filter is applied in the store, so its totals are exact; the pages cost no upstream call.
 */
export function ledgerSource(
  ctx: GraphQLContext,
  name: ProviderName,
  ledger: Ledger,
  filter: BatchListFilter,
  order: ListOrder,
  viewer: string | null,
): ListSource {
  const scope = scopeOf(ctx, name);
  return {
    provider: name,
    exact: true,
    offsetBased: false,
    firstToken: null,
    rank: ctx.gateway.providers[name]!.capabilities.listRank,
    ledger: true,
    fetch: (ref) => ledger.page(name, scope, viewer, filter, order, ref.token, ref.size),
  };
}
