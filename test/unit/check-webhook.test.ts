import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { PROVIDER_DEFINITIONS, providerWebhooks } from '../../src/providers/index.js';
import { sign, verify } from '../../src/providers/factcheck/webhook-signature.js';
import { createSeenEvents } from '../../src/webhooks/seen-events.js';

/** The assumed Check signature (docs/providers.md), the seen-id store in memory, and the setting. */
const SECRET = 'whsec_unit';
const NOW = Date.parse('2026-11-01T12:00:00Z');
const body = Buffer.from('{"id":"evt_1","type":"batch.completed","data":{"id":"batch_0123456789ab"}}');

describe('X-Check-Signature', () => {
  it('is t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const t = Math.floor(NOW / 1000);
    const hex = createHmac('sha256', SECRET).update(`${t}.${body.toString()}`).digest('hex');
    expect(sign(SECRET, body, NOW)).toBe(`t=${t},v1=${hex}`);
    expect(verify(SECRET, `t=${t},v1=${hex}`, body, NOW)).toEqual({ ok: true, t });
  });

  it('accepts any matching v1 of several (secret rotation) and ignores other schemes', () => {
    const good = sign(SECRET, body, NOW).split(',')[1]!;
    const other = sign('old-secret', body, NOW).split(',')[1]!;
    const t = Math.floor(NOW / 1000);
    expect(verify(SECRET, `t=${t},${other},v0=abc,${good}`, body, NOW).ok).toBe(true);
  });

  it.each([
    ['another secret', () => sign('wrong', body, NOW), 'mismatch'],
    ['another body', () => sign(SECRET, Buffer.from('{}'), NOW), 'mismatch'],
    ['no header', () => undefined, 'malformed'],
    ['no v1', () => `t=${Math.floor(NOW / 1000)}`, 'malformed'],
    ['no t', () => sign(SECRET, body, NOW).split(',')[1]!, 'malformed'],
    ['a short v1', () => `t=${Math.floor(NOW / 1000)},v1=abcd`, 'malformed'],
    ['two t', () => `t=1,${sign(SECRET, body, NOW)}`, 'malformed'],
    ['6 minutes old', () => sign(SECRET, body, NOW - 6 * 60_000), 'stale'],
    ['6 minutes ahead', () => sign(SECRET, body, NOW + 6 * 60_000), 'stale'],
  ])('refuses %s', (_name, header, fault) => {
    expect(verify(SECRET, header(), body, NOW)).toEqual({ ok: false, fault });
  });

  it('allows 5 minutes either way', () => {
    expect(verify(SECRET, sign(SECRET, body, NOW - 299_000), body, NOW).ok).toBe(true);
    expect(verify(SECRET, sign(SECRET, body, NOW + 299_000), body, NOW).ok).toBe(true);
  });

  it('reports a stale time only with a valid HMAC (no oracle for forgers)', () => {
    expect(verify(SECRET, sign('wrong', body, NOW - 3_600_000), body, NOW)).toEqual({ ok: false, fault: 'mismatch' });
  });
});

describe('seen event ids in memory', () => {
  it('takes an id once within its TTL, again after it expires or is released', async () => {
    let now = 0;
    const seen = createSeenEvents({ ttlMs: 1_000, now: () => now });
    expect(await seen.claim('a')).toBe(true);
    expect(await seen.claim('a')).toBe(false);
    now = 999;
    expect(await seen.claim('a')).toBe(false);
    now = 1_000;
    expect(await seen.claim('a')).toBe(true);
    await seen.release('a');
    expect(await seen.claim('a')).toBe(true);
  });

  it('is bounded: the oldest id goes first when full', async () => {
    const seen = createSeenEvents({ ttlMs: 60_000, maxEntries: 3, now: () => 0 });
    for (const id of ['a', 'b', 'c', 'd']) expect(await seen.claim(id)).toBe(true);
    expect(await seen.claim('d')).toBe(false);
    expect(await seen.claim('b')).toBe(false);
    expect(await seen.claim('a')).toBe(true);
  });
});

describe('FACTCHECK_WEBHOOK_SECRET', () => {
  // At least 32 bytes: shorter ones are warned about, under 16 refused (test/unit/config-refusals.test.ts).
  const STRONG_SECRET = 'whsec_0123456789abcdef0123456789abcdef';
  const check = { AUTH_MODE: 'none', FACTCHECK_BASE_URL: 'http://check', FACTCHECK_API_KEY: 'vfy_x' };
  // The webhooks the runtime serves, as it finds them: each configured provider's, with its secret.
  const webhooks = (env: Record<string, string>) =>
    providerWebhooks(PROVIDER_DEFINITIONS, loadConfig(env).providers).map((w) => [w.name, w.webhook.path, w.secret]);
  it('is part of the Check settings, off by default', () => {
    expect(webhooks(check)).toEqual([['FACT_CHECK', '/webhooks/check', undefined]]);
    expect(webhooks({ ...check, FACTCHECK_WEBHOOK_SECRET: ` ${STRONG_SECRET} ` })).toEqual([
      ['FACT_CHECK', '/webhooks/check', STRONG_SECRET],
    ]);
  });

  it('needs Check to be configured', () => {
    expect(() => loadConfig({ AUTH_MODE: 'none', FACTCHECK_WEBHOOK_SECRET: STRONG_SECRET })).toThrow(
      /FACTCHECK_BASE_URL/,
    );
  });

  it('is a secret: it seeds the derived cursor key', () => {
    const a = loadConfig({ ...check, FACTCHECK_WEBHOOK_SECRET: `one-${STRONG_SECRET}` }).lists.cursorSecret;
    const b = loadConfig({ ...check, FACTCHECK_WEBHOOK_SECRET: `two-${STRONG_SECRET}` }).lists.cursorSecret;
    expect(a).not.toBe(b);
  });
});
