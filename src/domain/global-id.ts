import type { ProviderName } from './batch.js';
import { badInput } from './errors.js';

/**
 * The GraphQL type of a provider's batches, by the naming rule every provider follows:
 * the name in PascalCase plus `Batch` (`ACME_JOBS` → `AcmeJobsBatch`). It is also the type
 * part of global IDs, so the rule is what keeps IDs stable.
 */
export function batchTypeName(provider: ProviderName): string {
  const pascal = provider
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
  return `${pascal}Batch`;
}

/** The provider whose batches have GraphQL type `typeName`, by the same rule, if it is one of `known`. */
function providerOfTypeName(typeName: string, known: readonly ProviderName[]): ProviderName | undefined {
  if (!/^(?:[A-Z][a-z0-9]*)+Batch$/.test(typeName)) return undefined;
  const name = typeName
    .slice(0, -'Batch'.length)
    .replace(/(?!^)([A-Z])/g, '_$1')
    .toUpperCase();
  return known.find((p) => p === name);
}

/**
 * Encodes a global ID as relay's `toGlobalId` does (`Type:upstreamId`), in base64url so it
 * is safe in URLs. The type names the provider, so an ID is stable and self-describing.
 */
export function toGlobalId(provider: ProviderName, providerBatchId: string): string {
  return Buffer.from(`${batchTypeName(provider)}:${providerBatchId}`, 'utf8').toString('base64url');
}

/** A decoded global ID. */
export interface DecodedGlobalId {
  provider: ProviderName;
  providerBatchId: string;
}

/**
 * Decodes a global ID strictly: anything that is not base64url of `KnownType:nonEmptyId`
 * throws a `BAD_USER_INPUT` GatewayError quoting the ID (relay ignores bad IDs; ours name a
 * provider, so guessing would call the wrong upstream). `known`: the gateway's providers.
 */
export function fromGlobalId(id: string, known: readonly ProviderName[]): DecodedGlobalId {
  const quoted = JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
  if (!/^[A-Za-z0-9_-]{4,400}={0,2}$/.test(id)) throw badInput(`Invalid ID ${quoted}: not a batchql global ID`);
  const decoded = Buffer.from(id.replace(/=+$/, ''), 'base64url').toString('utf8');
  const colon = decoded.indexOf(':');
  const provider = colon > 0 ? providerOfTypeName(decoded.slice(0, colon), known) : undefined;
  const providerBatchId = decoded.slice(colon + 1);
  if (provider === undefined || providerBatchId === '') throw badInput(`Invalid ID ${quoted}: not a batchql global ID`);
  return { provider, providerBatchId };
}
