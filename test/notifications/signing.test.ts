/**
 * Webhook signing (src/notifications/signing.ts) checked against the `standardwebhooks` package's own verifier,
 * the one a subscriber would use: one secret, two during a rotation, a wrong secret and a changed body.
 */
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { activeSecrets, generateSecret, newMessageId, signatureHeaders } from '../../src/notifications/signing.js';

const BODY = JSON.stringify({
  type: 'batch.succeeded',
  timestamp: '2026-12-08T10:00:00.000Z',
  data: { batch: { __typename: 'FactCheckBatch', providerBatchId: 'fc_123' } },
});

const sign = (secrets: readonly string[], body = BODY) =>
  signatureHeaders({ id: newMessageId(), timestamp: new Date(), body, secrets });

describe('generateSecret', () => {
  it('makes whsec_ secrets of 32 random bytes that standardwebhooks accepts', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(() => new Webhook(a)).not.toThrow();
  });
});

describe('signatureHeaders', () => {
  it('signs with one secret so that Webhook.verify accepts the message', () => {
    const secret = generateSecret();
    const headers = sign([secret]);
    expect(headers['webhook-id']).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });

  it('signs the timestamp in whole seconds, as the header says', () => {
    const secret = generateSecret();
    const timestamp = new Date(Date.now() - 1_500);
    const headers = signatureHeaders({ id: 'msg_x', timestamp, body: BODY, secrets: [secret] });
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(timestamp.getTime() / 1000)));
    expect(() => new Webhook(secret).verify(BODY, headers)).not.toThrow();
  });

  it('signs with each of two secrets, space-separated, so the old and the new one both verify', () => {
    const [fresh, old, unrelated] = [generateSecret(), generateSecret(), generateSecret()];
    const headers = sign([fresh, old]);
    const parts = headers['webhook-signature'].split(' ');
    expect(parts).toHaveLength(2);
    expect(parts.every((p) => p.startsWith('v1,'))).toBe(true);
    expect(() => new Webhook(old).verify(BODY, headers)).not.toThrow();
    expect(() => new Webhook(fresh).verify(BODY, headers)).not.toThrow();
    expect(() => new Webhook(unrelated).verify(BODY, headers)).toThrow(/No matching signature/);
  });

  it('writes the signatures in the order of the secrets given', () => {
    const [fresh, old] = [generateSecret(), generateSecret()];
    const timestamp = new Date();
    const headers = signatureHeaders({ id: 'msg_order', timestamp, body: BODY, secrets: [fresh, old] });
    expect(headers['webhook-signature']).toBe(
      `${new Webhook(fresh).sign('msg_order', timestamp, BODY)} ${new Webhook(old).sign('msg_order', timestamp, BODY)}`,
    );
  });

  it('fails verification for a changed body, id or timestamp', () => {
    const secret = generateSecret();
    const headers = sign([secret]);
    const wh = new Webhook(secret);
    expect(() => wh.verify(BODY.replace('fc_123', 'fc_124'), headers)).toThrow(/No matching signature/);
    expect(() => wh.verify(BODY, { ...headers, 'webhook-id': 'msg_other' })).toThrow(/No matching signature/);
    const later = String(Number(headers['webhook-timestamp']) + 1);
    expect(() => wh.verify(BODY, { ...headers, 'webhook-timestamp': later })).toThrow(/No matching signature/);
  });

  it('throws on an empty list of secrets', () => {
    expect(() => sign([])).toThrow(/no signing secret/);
  });
});

describe('activeSecrets', () => {
  const NOW = Date.parse('2026-12-08T10:00:00Z');
  const HOUR = 3_600_000;

  it('keeps the secrets not yet expired, newest first', () => {
    const secrets = [
      { secret: 'whsec_oldest', createdAt: NOW - 72 * HOUR, expiresAt: NOW - 24 * HOUR },
      { secret: 'whsec_current', createdAt: NOW - HOUR, expiresAt: null },
      { secret: 'whsec_rotated', createdAt: NOW - 48 * HOUR, expiresAt: NOW + 23 * HOUR },
      { secret: 'whsec_just_expired', createdAt: NOW - 96 * HOUR, expiresAt: NOW },
    ];
    expect(activeSecrets(secrets, NOW)).toEqual(['whsec_current', 'whsec_rotated']);
    // Past the overlap window only the current one signs.
    expect(activeSecrets(secrets, NOW + 23 * HOUR)).toEqual(['whsec_current']);
    expect(activeSecrets([], NOW)).toEqual([]);
  });

  it('does not reorder the list it is given', () => {
    const secrets = [
      { secret: 'a', createdAt: 1, expiresAt: null },
      { secret: 'b', createdAt: 2, expiresAt: null },
    ];
    expect(activeSecrets(secrets, 0)).toEqual(['b', 'a']);
    expect(secrets.map((s) => s.secret)).toEqual(['a', 'b']);
  });
});

/** The millisecond in a message id: its first 10 characters after `msg_`, Crockford base32. */
const timeOf = (id: string) =>
  [...id.slice(4, 14)].reduce((n, c) => n * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(c), 0);

describe('newMessageId', () => {
  afterEach(() => vi.useRealTimers());

  it('is unique across 10,000 calls and sorts in creation order, across millisecond boundaries', () => {
    const start = Date.now();
    const ids = [newMessageId()];
    // At least 10,000 ids, and on until they span 3 milliseconds or more, so ids cross millisecond boundaries.
    while (ids.length < 10_000 || timeOf(ids.at(-1)!) < timeOf(ids[0]!) + 2) ids.push(newMessageId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(timeOf(ids[0]!)).toBeGreaterThanOrEqual(start);
    expect(timeOf(ids.at(-1)!)).toBeLessThanOrEqual(Date.now());
  });

  it('sorts a later millisecond after an earlier one, and keeps the order when the clock steps back', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2030-01-01T00:00:00.000Z') });
    const first = newMessageId();
    vi.setSystemTime(Date.parse('2030-01-01T00:00:00.001Z'));
    const second = newMessageId();
    vi.setSystemTime(Date.parse('2029-12-31T23:59:59.000Z'));
    const afterStepBack = newMessageId();
    expect(first < second).toBe(true);
    expect(second < afterStepBack).toBe(true);
    // The time part is the millisecond, Crockford base32.
    expect(timeOf(second)).toBe(Date.parse('2030-01-01T00:00:00.001Z'));
    expect(timeOf(afterStepBack)).toBe(timeOf(second));
  });
});
