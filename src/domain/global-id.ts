import type { ProviderName } from './batch.js';
import { badInput } from './errors.js';

/** The GraphQL type of each provider's batches; also the type part of their global IDs. */
export const BATCH_TYPENAME: Record<ProviderName, 'ReachBatch' | 'GameballBatch' | 'FactCheckBatch'> = {
  REACH: 'ReachBatch',
  GAMEBALL: 'GameballBatch',
  FACT_CHECK: 'FactCheckBatch',
};

const PROVIDER_BY_TYPENAME = new Map<string, ProviderName>(
  (Object.entries(BATCH_TYPENAME) as [ProviderName, string][]).map(([p, t]) => [t, p]),
);

/**
 * Encodes a global ID as relay's `toGlobalId` does (`Type:upstreamId`), in base64url so it
 * is safe in URLs. The type names the provider, so an ID is stable and self-describing.
 */
export function toGlobalId(provider: ProviderName, providerBatchId: string): string {
  return Buffer.from(`${BATCH_TYPENAME[provider]}:${providerBatchId}`, 'utf8').toString('base64url');
}

/** A decoded global ID. */
export interface DecodedGlobalId {
  provider: ProviderName;
  providerBatchId: string;
}

/**
 * Decodes a global ID strictly: anything that is not base64url of `KnownType:nonEmptyId`
 * throws a `BAD_USER_INPUT` GatewayError quoting the ID (relay ignores bad IDs; ours name a
 * provider, so guessing would call the wrong upstream).
 */
export function fromGlobalId(id: string): DecodedGlobalId {
  const quoted = JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
  if (!/^[A-Za-z0-9_-]{4,400}={0,2}$/.test(id)) throw badInput(`Invalid ID ${quoted}: not a batchql global ID`);
  const decoded = Buffer.from(id.replace(/=+$/, ''), 'base64url').toString('utf8');
  const colon = decoded.indexOf(':');
  const provider = colon > 0 ? PROVIDER_BY_TYPENAME.get(decoded.slice(0, colon)) : undefined;
  const providerBatchId = decoded.slice(colon + 1);
  if (provider === undefined || providerBatchId === '') throw badInput(`Invalid ID ${quoted}: not a batchql global ID`);
  return { provider, providerBatchId };
}
