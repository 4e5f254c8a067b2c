import { createContext, useCallback, useContext, useMemo, type ReactNode } from 'react';
import type { BatchProvider, ProvidersQuery } from './__generated__/graphql';

type Named = Pick<ProvidersQuery['providers'][number], 'provider' | 'displayName'>;

/** Each provider's name for people, as the gateway gives it (`ProviderInfo.displayName`). */
const Names = createContext<ReadonlyMap<BatchProvider, string>>(new Map());

/**
 * Gives the page the providers' names from the `providers` answer; the page keeps no list of its own, so a
 * new provider shows with the name its definition gives it. The map stays the same object while the names
 * do, so the periodic re-read of `providers` re-renders nothing.
 */
export function ProviderNames({
  providers,
  children,
}: {
  providers: readonly Named[] | undefined;
  children: ReactNode;
}) {
  const key = JSON.stringify(providers?.map((p) => [p.provider, p.displayName]) ?? []);
  const names = useMemo(() => new Map(JSON.parse(key) as [BatchProvider, string][]), [key]);
  return <Names value={names}>{children}</Names>;
}

/** A provider's name for people; its enum value until the `providers` answer arrives (or when it failed). */
export function useProviderName(): (provider: BatchProvider) => string {
  const names = useContext(Names);
  return useCallback((provider: BatchProvider) => names.get(provider) ?? provider, [names]);
}
