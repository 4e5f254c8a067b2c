import type { ProviderName } from '../domain/batch.js';
import type { Providers } from '../domain/provider.js';
import type { ProviderDefinition, ProviderSettings, SharedClientOptions } from './definition.js';
import { factCheck } from './factcheck/index.js';
import { gameball } from './gameball/index.js';
import { reach } from './reach/index.js';

/** A provider definition whose settings type is not known statically (lists mix providers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProviderDefinition<N extends ProviderName = ProviderName> = ProviderDefinition<any, N>;

/**
 * The one registration of every production provider. Keyed by `ProviderName`, so a name added
 * to the domain union fails the compile here until its definition is supplied (and a definition
 * under another provider's key fails too: each definition's type carries its name).
 */
const DEFINITIONS: { readonly [K in ProviderName]: AnyProviderDefinition<K> } = {
  REACH: reach,
  GAMEBALL: gameball,
  FACT_CHECK: factCheck,
};

/** Every production provider, in list rank order (the order of `Query.providers`). */
export const PROVIDER_DEFINITIONS: readonly AnyProviderDefinition[] = Object.values(DEFINITIONS).sort(
  (a, b) => a.capabilities.listRank - b.capabilities.listRank,
);

/** Every production provider's name, in list rank order. */
export const PROVIDER_NAMES: readonly ProviderName[] = PROVIDER_DEFINITIONS.map((d) => d.name);

/** Each configured provider's settings, keyed by name. */
export type ProviderSettingsMap = Partial<Record<ProviderName, ProviderSettings>>;

/** Builds an adapter (with its own undici pool) for every configured provider. */
export function createProviders(
  definitions: readonly AnyProviderDefinition[],
  settings: ProviderSettingsMap,
  shared: SharedClientOptions,
): Providers {
  const providers: Providers = {};
  for (const definition of definitions) {
    const own = settings[definition.name];
    if (own) providers[definition.name] = definition.createAdapter(own, shared);
  }
  return providers;
}

/** The webhooks of the configured providers that have one, each with its secret (undefined: off). */
export function providerWebhooks(definitions: readonly AnyProviderDefinition[], settings: ProviderSettingsMap) {
  return definitions.flatMap(({ name, webhook }) => {
    const own = settings[name];
    return webhook && own ? [{ name, webhook, secret: webhook.secret(own) }] : [];
  });
}

/** Closes every provider's pool. */
export async function closeProviders(providers: Providers): Promise<void> {
  await Promise.all(Object.values(providers).map((p) => p.close()));
}
