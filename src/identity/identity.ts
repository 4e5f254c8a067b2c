import { isIP } from 'node:net';
import type { Principal } from './auth.js';

/**
 * Who "a client" is, for every per-client limit (subscription shares, later rate limits and
 * idempotency keys): the JWT subject, else the token's tenant, else the remote address. Built
 * here once; nothing else derives it.
 */
export interface ClientIdentity {
  /** Stable key: `sub:<subject>`, `tenant:<tenant>` or `addr:<ip>`. */
  key: string;
  kind: 'subject' | 'tenant' | 'address';
}

/** Where a request came from: the socket's peer and, behind proxies, `X-Forwarded-For`. */
export interface RequestOrigin {
  remoteAddress?: string | undefined;
  forwardedFor?: string | null | undefined;
}

/**
 * The client's address: the socket peer, or with `trustProxy` = N hops, the address N entries
 * from the right of `[...X-Forwarded-For, peer]` (the address the outermost trusted proxy saw),
 * as Express's numeric `trust proxy` does. Entries that are not IP addresses are ignored, so a
 * forged header can at worst name an address, never inject text.
 */
export function clientAddress(origin: RequestOrigin, trustProxy: number): string {
  const peer = normalise(origin.remoteAddress) ?? 'unknown';
  if (trustProxy <= 0 || !origin.forwardedFor) return peer;
  const hops = origin.forwardedFor
    .split(',')
    .map((part) => normalise(part.trim()))
    .filter((a): a is string => a !== undefined);
  const chain = [...hops, peer];
  return chain[Math.max(0, chain.length - 1 - trustProxy)]!;
}

/** The identity of a request's client (see `ClientIdentity`). */
export function clientIdentity(principal: Principal, origin: RequestOrigin, trustProxy: number): ClientIdentity {
  if (principal.subject) return { key: `sub:${principal.subject}`, kind: 'subject' };
  if (principal.tenant) return { key: `tenant:${principal.tenant}`, kind: 'tenant' };
  return { key: `addr:${clientAddress(origin, trustProxy)}`, kind: 'address' };
}

function normalise(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const bare = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return isIP(bare) ? bare : undefined;
}
