import type { ProviderName } from '../../domain/batch.js';
import type { GraphQLContext } from '../context.js';
import { badInput, notConfigured } from '../../domain/errors.js';
import { bindingOf } from './cursor.js';
import { fetchWindow, pageArgs, windowOf, type PageArgs, type Window } from './window.js';

/** Relay arguments of a nested list field. */
export interface NestedArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A page of a nested list. */
export interface NestedConnection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/**
 * Cursors of nested lists hold the index after their edge, bound to the field and the parent
 * batch, so a cursor of one batch's items is refused on another's.
 */
function indexCodec(ctx: GraphQLContext, owner: string) {
  const binding = bindingOf({ owner });
  return {
    encode: (positionAfter: number) => ctx.gateway.lists.codec.encode(binding, { i: positionAfter }),
    /** The index of the edge the cursor was made for. */
    decode: (cursor: string | null, argument: 'after' | 'before'): number | null => {
      if (cursor === null) return null;
      const payload = ctx.gateway.lists.codec.decode(binding, cursor, argument) as { i?: unknown } | null;
      const i = payload?.i;
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 1)
        throw badInput(`\`${argument}\` is not a cursor this list issued`);
      return i - 1;
    },
  };
}

function build<T>(w: Window, items: T[], total: number, encode: (i: number) => string): NestedConnection<T> {
  const edges = items.map((node, i) => ({ node, cursor: encode(w.start + i + 1) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: w.hasNextPage,
      hasPreviousPage: w.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: total,
  };
}

/** Pages an in-memory list (one that comes whole with the batch). */
export function arrayConnection<T>(
  ctx: GraphQLContext,
  owner: string,
  all: readonly T[],
  args: NestedArgs,
): NestedConnection<T> {
  const page: PageArgs = pageArgs(args);
  const codec = indexCodec(ctx, owner);
  const w = windowOf(
    {
      first: page.first,
      last: page.last,
      afterIndex: codec.decode(page.after, 'after'),
      beforeIndex: codec.decode(page.before, 'before'),
    },
    all.length,
  );
  return build(w, all.slice(w.start, w.end), all.length, codec.encode);
}

/**
 * Pages a batch's item results with upstream offsets (`BatchProvider.listItemResults`): one request, or two
 * when `last` is given without `before` (the total must be known first). `owner` binds the cursors (the field
 * and the batch). Items are the provider's own item model, as its adapter returns them.
 */
export async function offsetItems<T>(
  ctx: GraphQLContext,
  provider: ProviderName,
  owner: string,
  providerBatchId: string,
  args: NestedArgs,
): Promise<NestedConnection<T>> {
  const adapter = ctx.gateway.providers[provider];
  if (!adapter?.listItemResults) throw notConfigured(provider);
  const list = adapter.listItemResults.bind(adapter);
  const page = pageArgs(args);
  const codec = indexCodec(ctx, owner);
  const {
    window: w,
    items,
    total,
  } = await fetchWindow(
    {
      first: page.first,
      last: page.last,
      after: codec.decode(page.after, 'after'),
      before: codec.decode(page.before, 'before'),
    },
    (offset, limit) => ctx.budget.call(provider, (signal) => list(providerBatchId, offset, limit, signal)),
  );
  return build(w, items as T[], total ?? 0, codec.encode);
}
