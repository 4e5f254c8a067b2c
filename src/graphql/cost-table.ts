import type { ProviderName } from '../domain/batch.js';
import { fromGlobalId } from '../domain/global-id.js';
import type { Providers } from '../domain/provider.js';
import { MAX_PAGES_PER_SOURCE } from './connections/merge.js';

/**
 * The cost table: what each field that calls upstream may cost at worst, by schema coordinate. The core's
 * entries are here; each provider adds its own fields' (`ProviderSchema.costs`). `upstream-cost.ts` walks an
 * operation with it.
 */

export type Args = Record<string, unknown>;

/** Upstream calls by provider. */
export type ByProvider = Partial<Record<ProviderName, number>>;

/** What a field that calls upstream may cost at worst, and how many parents its subtree resolves for. */
/**
 * True when a read of this batch will make no upstream call: the ledger answers it (`load-batch.ts`'s
 * `servedWithoutCall`). Absent: every read calls.
 */
export type Free = (provider: ProviderName, providerBatchId: string) => boolean;

export interface FieldCost {
  /** Upstream calls the field itself may make (`free` says which batch reads cost none). */
  calls(args: Args, providers: Providers, free?: Free): number;
  /**
   * The same calls by the provider they go to, where the query says (an id, a list's providers); these are
   * checked against each provider's budget. Subscriptions have none: their reads are polls.
   */
  by?(args: Args, providers: Providers, free?: Free): ByProvider;
  /** How many objects its selection is resolved for (a list's length); 1 when absent. */
  fanOut?(args: Args, providers: Providers): number;
}

/**
 * Distinct batches named by a list of global ids (two encodings of one id are one batch; bad ids, and reads
 * `free` says cost nothing, cost nothing).
 */
function distinctBatchIds(ids: unknown, providers: Providers, free?: Free): number {
  if (!Array.isArray(ids)) return 0;
  return Object.values(batchIdsByProvider(ids, providers, free)).reduce((sum, n) => sum + n, 0);
}

/** Distinct batches named by a list of global ids, by provider (those `free` says cost nothing left out). */
function batchIdsByProvider(ids: unknown, providers: Providers, free?: Free): ByProvider {
  const known = Object.keys(providers) as ProviderName[];
  const seen = new Set<string>();
  const by: ByProvider = {};
  for (const id of Array.isArray(ids) ? ids : [ids]) {
    if (typeof id !== 'string') continue;
    try {
      const { provider, providerBatchId } = fromGlobalId(id, known);
      const key = `${provider}:${providerBatchId}`;
      if (seen.has(key) || free?.(provider, providerBatchId)) continue;
      seen.add(key);
      by[provider] = (by[provider] ?? 0) + 1;
    } catch {
      // refused at its field before any upstream call
    }
  }
  return by;
}

/** A fixed number of calls to the provider of the batch `args.id` names (none when `free` says its read costs none). */
const byId =
  (calls: number) =>
  (args: Args, providers: Providers, free?: Free): ByProvider => {
    const [provider] = Object.keys(batchIdsByProvider(args.id, providers, free)) as ProviderName[];
    return provider ? { [provider]: calls } : {};
  };

/** `batch(provider:, providerBatchId:)`: one call, none when `free` says its read costs none. */
const byProviderId = (args: Args, free?: Free): ByProvider => {
  const provider = args.provider as ProviderName;
  return typeof args.providerBatchId === 'string' && free?.(provider, args.providerBatchId) ? {} : { [provider]: 1 };
};

/** Providers a list field reads (of `candidates`; every configured one when null), as its filter allows. */
function listed(candidates: readonly ProviderName[] | null, args: Args, providers: Providers): ProviderName[] {
  const wanted = (args.filter as { providers?: ProviderName[] } | null | undefined)?.providers;
  return (candidates ?? (Object.keys(providers) as ProviderName[])).filter(
    (p) => providers[p]?.capabilities.canList && (!wanted || wanted.includes(p)),
  );
}

/** A list field reads at most `MAX_PAGES_PER_SOURCE` upstream pages per provider that can list. */
export const listCost = (candidates: readonly ProviderName[] | null): FieldCost => ({
  calls: (args, providers) => listed(candidates, args, providers).length * MAX_PAGES_PER_SOURCE,
  by: (args, providers) =>
    Object.fromEntries(listed(candidates, args, providers).map((p) => [p, MAX_PAGES_PER_SOURCE])),
  fanOut: (args) => Number(args.first ?? args.last ?? 20),
});

/** A write of `calls` calls to `provider`. */
export const writeCost = (provider: ProviderName, calls: number): FieldCost => ({
  calls: () => calls,
  by: () => ({ [provider]: calls }),
});

/** The worst cases of a schema's fields that call upstream, by schema coordinate. */
export type CostTable = Readonly<Record<string, FieldCost>>;

/** The core's fields that call upstream, by schema coordinate, with their worst case; providers add their own. */
const CORE_COSTS: CostTable = {
  'Query.node': { calls: (a, p, f) => distinctBatchIds([a.id], p, f), by: byId(1) },
  'Query.batch': {
    calls: (a, _, f) => Object.keys(byProviderId(a, f)).length,
    by: (a, _, f) => byProviderId(a, f),
  },
  'Query.nodes': {
    calls: (a, p, f) => distinctBatchIds(a.ids, p, f),
    by: (a, p, f) => batchIdsByProvider(a.ids, p, f),
    fanOut: (a, p) => distinctBatchIds(a.ids, p),
  },
  'Query.batches': listCost(null),
  'Subscription.batch': { calls: () => 1 },
  'Subscription.batches': { calls: (a, p) => distinctBatchIds(a.ids, p) },
  // A cancel, its read-back, and a status read first where a provider needs one.
  'Mutation.cancelBatch': { calls: () => 3, by: byId(3) },
};

/** The cost table of a gateway serving `providers`: the core's entries and each provider's own. */
export function costTable(providers: readonly { schema: { costs?: CostTable } }[]): CostTable {
  return Object.assign({}, CORE_COSTS, ...providers.map((p) => p.schema.costs ?? {}));
}
