import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Check's webhook signature, shared by the gateway (verify) and the simulator (sign). Check
 * documents only the header shape `X-Check-Signature: t=<unix>,v1=<HMAC>`; batchql assumes
 * (docs/providers.md) HMAC-SHA256 with the webhook secret over `<t>.<raw body>`, hex-encoded,
 * as Stripe-style schemes do. Several `v1=` entries (a secret being rotated) are accepted.
 */
export const CHECK_SIGNATURE_HEADER = 'x-check-signature';

/** How far the signed time may be from now, either way. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

function hmac(secret: string, t: number, body: Buffer | string): Buffer {
  return createHmac('sha256', secret)
    .update(`${t}.`)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest();
}

/** The `X-Check-Signature` value for `body` signed at `nowMs`. */
export function sign(secret: string, body: Buffer | string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmac(secret, t, body).toString('hex')}`;
}

/** Why a signature was refused. */
export type SignatureFault = 'malformed' | 'mismatch' | 'stale';

/**
 * Checks `header` against `body`: the HMAC first (constant time), then the timestamp within
 * `toleranceMs` of `nowMs`, so a stale answer is only given to someone holding the secret.
 */
export function verify(
  secret: string,
  header: string | undefined,
  body: Buffer,
  nowMs: number,
  toleranceMs = SIGNATURE_TOLERANCE_MS,
): { ok: true; t: number } | { ok: false; fault: SignatureFault } {
  if (!header || header.length > 2_048) return { ok: false, fault: 'malformed' };
  let t: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0) return { ok: false, fault: 'malformed' };
    if (name === 't') {
      if (!/^\d{1,12}$/.test(value) || t !== undefined) return { ok: false, fault: 'malformed' };
      t = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return { ok: false, fault: 'malformed' };
      candidates.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, future versions) are ignored, as the header format allows.
  }
  if (t === undefined || candidates.length === 0 || candidates.length > 8) return { ok: false, fault: 'malformed' };
  const expected = hmac(secret, t, body);
  let matched = false;
  for (const candidate of candidates) if (timingSafeEqual(candidate, expected)) matched = true;
  if (!matched) return { ok: false, fault: 'mismatch' };
  if (Math.abs(nowMs - t * 1000) > toleranceMs) return { ok: false, fault: 'stale' };
  return { ok: true, t };
}
