import type { GraphQLContext } from '../context.js';
import { badInput } from '../../domain/errors.js';

/** Relay arguments of a list read from the ledger by key (the audit log, a timeline, webhook deliveries). */
export interface KeysetArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** What a keyset page asks the store: which way, how many, and after (or before) which position. */
export interface KeysetRequest<P> {
  backward: boolean;
  size: number;
  /** The position the cursor holds; null: the first page that way. */
  from: P | null;
}

/**
 * Reads a keyset list's arguments: `first`/`after` or `last`/`before` (not both), a size from 1 to `max`
 * (`size` when neither is given), and the cursor, bound to `binding` and read back into a position by `position`
 * (undefined: not a cursor of this list). Every refusal is `BAD_USER_INPUT`, naming the list (`what`) or the cursor's
 * issuer (`issuer`).
 */
export function readKeyset<P>(
  ctx: GraphQLContext,
  binding: string,
  args: KeysetArgs,
  o: {
    what: string;
    issuer: string;
    max: number;
    size: number;
    position(payload: Record<string, unknown>): P | undefined;
  },
): KeysetRequest<P> {
  const backward = args.last != null || args.before != null;
  if (backward && (args.first != null || args.after != null))
    throw badInput(`page ${o.what} with \`first\`/\`after\` or with \`last\`/\`before\`, not both`);
  const size = (backward ? args.last : args.first) ?? o.size;
  if (!Number.isInteger(size) || size < 1 || size > o.max)
    throw badInput(`${backward ? 'last' : 'first'} must be 1 to ${o.max}`);
  const cursor = backward ? args.before : args.after;
  if (cursor == null) return { backward, size, from: null };
  const argument = backward ? 'before' : 'after';
  const payload = ctx.gateway.lists.codec.decode(binding, cursor, argument) as Record<string, unknown> | null;
  const from = payload ? o.position(payload) : undefined;
  if (from === undefined) throw badInput(`\`${argument}\` is not a cursor this ${o.issuer} issued`);
  return { backward, size, from };
}

/** The position of a list keyed by one row number (`{ i }`: an audit entry's, a delivery's). */
export const idPosition = ({ i }: Record<string, unknown>): number | undefined =>
  typeof i === 'number' && Number.isInteger(i) ? i : undefined;

/**
 * A keyset page as a connection: `rows` as the store answered them (up to `size` + 1, in the order it read them:
 * backward, newest first), shown in the list's order, each with its cursor; a row past `size` says more lie that
 * way, and a cursor given says some lie the other way.
 */
export function keysetConnection<R, N>(
  request: KeysetRequest<unknown>,
  rows: readonly R[],
  cursorOf: (row: R) => string,
  nodeOf: (row: R) => N,
) {
  const { backward, size, from } = request;
  const more = rows.length > size;
  const shown = backward ? rows.slice(0, size).reverse() : rows.slice(0, size);
  const edges = shown.map((row) => ({ cursor: cursorOf(row), node: nodeOf(row) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: backward ? from !== null : more,
      hasPreviousPage: backward ? more : from !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
