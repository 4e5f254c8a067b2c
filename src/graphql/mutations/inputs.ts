/** Shared steps of mapping a mutation's input to a provider's write request. */

type Maybe<T> = T | null | undefined;

/** A typed input object without its null or absent fields (GraphQL null means "not given"); JSON values are kept. */
export function compact<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as never;
}

/** A DateTime input as the RFC 3339 string a provider's wire wants; absent stays absent. */
export const iso = (value: Maybe<Date | string>) =>
  value instanceof Date ? value.toISOString() : (value ?? undefined);
