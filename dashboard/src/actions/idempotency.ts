/**
 * A fresh idempotency key. `crypto.randomUUID` exists only in secure contexts (https, localhost);
 * a gateway reached over plain http by another name still gets 128 random bits.
 */
export function newIdempotencyKey(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
