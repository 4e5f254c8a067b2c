import { createHash, createHmac } from 'node:crypto';

/**
 * The scope of an idempotency key: the client's identity, its tenant and the key it chose, as a hash of
 * a length-prefixed tuple. Each part may hold any character (`|` included), so joining them with a
 * separator would let tenant `x|y` and tenant `x` share a scope; a length prefix cannot collide.
 */
export function writeScopeOf(client: string, tenant: string | undefined, key: string): string {
  const hash = createHash('sha256');
  for (const part of [client, tenant ?? '', key]) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  }
  // Whether a tenant was given at all is part of the scope too (no tenant is not the empty tenant).
  hash.update(tenant === undefined ? '\u0000' : '\u0001');
  return hash.digest('base64url');
}

/**
 * The marker a created batch carries so a retry can find it at the provider: an HMAC of the scope under
 * the gateway's secret. It names neither the client nor its key (a provider's batches may be readable by
 * other tenants), and nobody without the secret can forge one for another scope.
 */
export function writeMarkerOf(secret: string, scope: string): string {
  return createHmac('sha256', secret).update(scope).digest('base64url').slice(0, 32);
}
