import { describe, expect, it } from 'vitest';
import { scopesOf } from '../../src/auth.js';
import { ErrorCode, GatewayError } from '../../src/domain/errors.js';
import { fingerprintOf } from '../../src/graphql/mutations/fingerprint.js';
import { asPayload } from '../../src/graphql/mutations/user-errors.js';
import { checkFactCheckSubmit, checkFieldPath, readFactCheckRefusal } from '../../src/providers/factcheck/writes.js';
import { FACTCHECK_PLANS } from '../../src/providers/factcheck/plans.js';
import { readGameballRefusal } from '../../src/providers/gameball/writes.js';
import { readReachRefusal } from '../../src/providers/reach/writes.js';
import { toWriteError } from '../../src/providers/upstream-errors.js';
import { UpstreamHttpError } from '../../src/providers/upstream-types.js';
import { createIdempotencyStore } from '../../src/writes/idempotency-store.js';

const http = (status: number, body: unknown) => new UpstreamHttpError(status, body, undefined);
const codeOf = (e: unknown) => (e as GatewayError).code;

describe('write refusals', () => {
  it('are typed by status: 400/422 rejected input, 402 quota, 413 too large, 409 conflict', () => {
    const read = () => undefined;
    expect(codeOf(toWriteError('FACT_CHECK', http(400, {}), read))).toBe('PROVIDER_REJECTED_INPUT');
    expect(codeOf(toWriteError('FACT_CHECK', http(422, {}), read))).toBe('PROVIDER_REJECTED_INPUT');
    expect(codeOf(toWriteError('FACT_CHECK', http(402, {}), read))).toBe('PROVIDER_QUOTA_EXCEEDED');
    expect(codeOf(toWriteError('FACT_CHECK', http(413, {}), read))).toBe('PAYLOAD_TOO_LARGE');
    expect(codeOf(toWriteError('FACT_CHECK', http(409, {}), read))).toBe('CONFLICT');
    expect(codeOf(toWriteError('FACT_CHECK', http(503, {}), read))).toBe('PROVIDER_UNAVAILABLE');
  });

  it('are OUTCOME_UNKNOWN when the call may have reached the provider, not when nothing was sent', () => {
    const read = () => undefined;
    const timeout = new GatewayError(ErrorCode.PROVIDER_TIMEOUT, 't', { provider: 'REACH' });
    const reset = new GatewayError(ErrorCode.PROVIDER_UNAVAILABLE, 'r', {
      provider: 'REACH',
      cause: Object.assign(new Error('socket'), { code: 'ECONNRESET' }),
    });
    const refused = new GatewayError(ErrorCode.PROVIDER_UNAVAILABLE, 'c', {
      provider: 'REACH',
      cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    });
    expect(codeOf(toWriteError('REACH', timeout, read))).toBe('OUTCOME_UNKNOWN');
    expect(codeOf(toWriteError('REACH', reset, read))).toBe('OUTCOME_UNKNOWN');
    expect(codeOf(toWriteError('REACH', refused, read))).toBe('PROVIDER_UNAVAILABLE');
  });

  it('keep each provider’s field messages', () => {
    const check = readFactCheckRefusal(422, {
      error: {
        code: 'validation_error',
        message: 'bad',
        details: [{ field: 'items[3].content', message: 'too long' }],
      },
    });
    expect(check?.fieldErrors).toEqual([{ field: ['input', 'items', '3', 'content'], message: 'too long' }]);
    expect(readFactCheckRefusal(400, { error: { code: 'CANNOT_CANCEL', message: 'x' } })?.code).toBe('CANNOT_CANCEL');
    expect(
      readFactCheckRefusal(400, { error: 'File parsing failed', validationErrors: [{ row: 2, error: 'Empty' }] }),
    ).toEqual({
      fieldErrors: [
        { field: ['file'], message: 'File parsing failed' },
        { field: ['file'], message: 'row 2: Empty' },
      ],
    });
    expect(readGameballRefusal(422, { code: 9004, message: 'Duplicate' })?.fieldErrors).toEqual([
      { field: ['input'], message: 'Duplicate (Gameball 9004)' },
    ]);
    expect(readReachRefusal(400, { success: false, message: 'Validation failed', errors: ['a', 'b'] })).toEqual({
      fieldErrors: [
        { field: ['input'], message: 'a' },
        { field: ['input'], message: 'b' },
      ],
    });
    expect(checkFieldPath('options.timeout')).toEqual(['input', 'options', 'timeout']);
  });
});

describe('Check submits against the plan', () => {
  const submit = { kind: 'FACT_CHECK_SUBMIT' as const, items: [{ content: 'x' }] };
  it('refuses any batch on Free, and Enterprise methods on Pro; Enterprise takes 10,000 items', () => {
    expect(checkFactCheckSubmit(submit, FACTCHECK_PLANS.free, 1_000).map((p) => p.message)).toEqual([
      'Check batches need a Pro or Enterprise plan (FACTCHECK_PLAN is free)',
    ]);
    expect(checkFactCheckSubmit({ ...submit, methods: { formal: 1 } }, FACTCHECK_PLANS.pro, 1_000)).toEqual([
      { field: ['input', 'methods'], message: "method FORMAL needs Check's enterprise plan (FACTCHECK_PLAN)" },
    ]);
    expect(checkFactCheckSubmit({ ...submit, methods: { formal: 1 } }, FACTCHECK_PLANS.enterprise, 1_000)).toEqual([]);
    const many = { ...submit, items: Array.from({ length: 2_000 }, () => ({ content: 'x' })) };
    expect(checkFactCheckSubmit(many, FACTCHECK_PLANS.enterprise, 10_000)).toEqual([]);
    expect(checkFactCheckSubmit(many, FACTCHECK_PLANS.pro, 10_000)[0]?.message).toContain('at most 1000 items');
  });

  it('checks the documented option ranges', () => {
    const problems = checkFactCheckSubmit(
      { ...submit, options: { maxRetries: 6, minConfidence: 2, escalateThreshold: 0.96, retryOnLowConfidence: true } },
      FACTCHECK_PLANS.pro,
      1_000,
    );
    expect(problems.map((p) => p.field?.join('.'))).toEqual([
      'input.options.minConfidence',
      'input.options.maxRetries',
      'input.options.acceptThreshold',
    ]);
  });
});

describe('payloads', () => {
  it('carry user errors for refusals the caller can act on, and throw the rest', async () => {
    const refused = await asPayload(async () => {
      throw new GatewayError(ErrorCode.CANNOT_CANCEL, 'finished');
    });
    expect(refused).toEqual({ userErrors: [{ code: 'CANNOT_CANCEL', message: 'finished', field: null }] });
    await expect(
      asPayload(async () => {
        throw new GatewayError(ErrorCode.OUTCOME_UNKNOWN, 'maybe');
      }),
    ).rejects.toMatchObject({ code: 'OUTCOME_UNKNOWN' });
    expect(await asPayload(async () => ({ batch: null }))).toEqual({ batch: null, userErrors: [] });
  });
});

describe('idempotency fingerprints and scopes', () => {
  it('ignore key order and the key itself, and tell other input apart', () => {
    const a = fingerprintOf('submit', { idempotencyKey: 'k1', input: { name: 'n', items: [{ content: 'c' }] } });
    const b = fingerprintOf('submit', { input: { items: [{ content: 'c' }], name: 'n' }, idempotencyKey: 'k2' });
    expect(a).toBe(b);
    expect(fingerprintOf('submit', { input: { name: 'other' } })).not.toBe(a);
    expect(fingerprintOf('cancel', { input: { name: 'n', items: [{ content: 'c' }] } })).not.toBe(a);
  });

  it('read scopes from `scope` (space-separated) and `scp` (a list or a string)', () => {
    expect([...scopesOf({ scope: 'a batches:write' })]).toEqual(['a', 'batches:write']);
    expect([...scopesOf({ scp: ['x', 'y'] })]).toEqual(['x', 'y']);
    expect([...scopesOf({ scp: 'z' })]).toEqual(['z']);
    expect(scopesOf({}).size).toBe(0);
  });
});

describe('the in-memory idempotency store', () => {
  it('runs the first call, makes a concurrent one wait for its outcome, and refuses other input', async () => {
    const store = createIdempotencyStore({ prefix: 't:' });
    expect(await store.begin('k', 'f1')).toEqual({ kind: 'run' });
    const waiting = store.begin('k', 'f1');
    expect(await store.begin('k', 'f2')).toEqual({ kind: 'conflict' });
    await store.finish('k', 'f1', { kind: 'result', value: 'answer' });
    expect(await waiting).toEqual({ kind: 'replay', outcome: { kind: 'result', value: 'answer' } });
    await store.abandon('k');
    expect(await store.begin('k', 'f2')).toEqual({ kind: 'run' });
  });
});
