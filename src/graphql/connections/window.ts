import { badInput } from '../../domain/errors.js';

/** Page sizes a connection accepts, and the size when neither `first` nor `last` is given. */
export const PAGE_SIZE = { min: 1, max: 100, default: 20 } as const;

/** Relay arguments after validation; `first` is defaulted when neither size is given. */
export interface PageArgs {
  first: number | null;
  last: number | null;
  after: string | null;
  before: string | null;
}

/** Validates `first`/`last` (1..100; default `first: 20`). */
export function pageArgs(args: { first?: number | null; last?: number | null; after?: string | null; before?: string | null }): PageArgs {
  for (const name of ['first', 'last'] as const) {
    const value = args[name];
    if (value != null && (!Number.isInteger(value) || value < PAGE_SIZE.min || value > PAGE_SIZE.max)) {
      throw badInput(`\`${name}\` must be from ${PAGE_SIZE.min} to ${PAGE_SIZE.max}, got ${value}`);
    }
  }
  const first = args.first ?? (args.last == null ? PAGE_SIZE.default : null);
  return { first, last: args.last ?? null, after: args.after ?? null, before: args.before ?? null };
}

/** The slice `[start, end)` of an indexable list a Relay page covers, and its page info. */
export interface Window {
  start: number;
  end: number;
  hasPreviousPage: boolean;
  hasNextPage: boolean;
}

/**
 * The Relay pagination algorithm over an indexable list of `total` items, exactly as
 * graphql-relay's `connectionFromArraySlice` computes it: `afterIndex`/`beforeIndex` are the
 * indices of the `after`/`before` edges; `hasPreviousPage` is only known (true) under `last`,
 * `hasNextPage` only under `first`.
 */
export function windowOf(args: { first: number | null; last: number | null; afterIndex: number | null; beforeIndex: number | null }, total: number): Window {
  const lower = args.afterIndex !== null ? args.afterIndex + 1 : 0;
  const upper = args.beforeIndex !== null ? args.beforeIndex : total;
  let start = Math.max(0, lower);
  let end = Math.min(total, upper);
  if (args.first !== null) end = Math.min(end, start + args.first);
  if (args.last !== null) start = Math.max(start, end - args.last);
  return {
    start,
    end: Math.max(start, end),
    hasPreviousPage: args.last !== null ? start > lower : false,
    hasNextPage: args.first !== null ? end < upper : false,
  };
}
