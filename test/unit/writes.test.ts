import { describe, expect, it } from 'vitest';
import { scopesOf } from '../../src/identity/auth.js';
import { ErrorCode, GatewayError } from '../../src/domain/errors.js';
import { fingerprintOf } from '../../src/graphql/mutations/fingerprint.js';
import { asPayload } from '../../src/graphql/mutations/user-errors.js';
import { checkFactCheckSubmit, checkFieldPath, readFactCheckRefusal } from '../../src/providers/factcheck/writes.js';
import { FACTCHECK_PLANS } from '../../src/providers/factcheck/plans.js';
import { readGameballRefusal } from '../../src/providers/gameball/writes.js';
import { readReachRefusal } from '../../src/providers/reach/writes.js';
import { toWriteError } from '../../src/upstream/errors.js';
import { UpstreamHttpError, markMayHaveBeenSent } from '../../src/upstream/types.js';
import { keyActionOf } from '../../src/upstream/write-answers.js';
import { WireShapeError } from '../../src/upstream/wire.js';
import { loadConfig } from '../../src/config.js';
import { createIdempotencyStore } from '../../src/writes/create-store.js';
import { writeScopeOf } from '../../src/writes/write-scope.js';
import { storeOptions } from '../helpers/config.js';

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
    expect(codeOf(toWriteError('FACT_CHECK', http(404, {}), read))).toBe('NOT_FOUND');
  });

  it('free the key on 401, 403 and 429, keep it as unknown on a 5xx, 408 or an unreadable 2xx', () => {
    const read = () => undefined;
    for (const status of [401, 403, 429]) {
      const error = toWriteError('FACT_CHECK', http(status, {}), read);
      expect(keyActionOf(error)).toBe('free');
    }
    for (const status of [500, 502, 503, 504, 408]) {
      const error = toWriteError('FACT_CHECK', http(status, {}), read);
      expect([codeOf(error), keyActionOf(error)]).toEqual(['OUTCOME_UNKNOWN', 'keep-unknown']);
    }
    const garbled = new GatewayError(ErrorCode.PROVIDER_BAD_RESPONSE, 'not JSON', { upstreamStatus: 202 });
    expect(codeOf(toWriteError('FACT_CHECK', garbled, read))).toBe('OUTCOME_UNKNOWN');
    expect(codeOf(toWriteError('FACT_CHECK', new WireShapeError('$.id', 'a string'), read))).toBe('OUTCOME_UNKNOWN');
    // A refusal by the provider is recorded; one decided before sending (no status) takes no key.
    expect(keyActionOf(toWriteError('FACT_CHECK', http(422, {}), read))).toBe('record');
    expect(keyActionOf(new GatewayError(ErrorCode.BAD_USER_INPUT, 'too many items'))).toBe('free');
  });

  it('are OUTCOME_UNKNOWN when the call may have reached the provider, not when nothing was sent', () => {
    const read = () => undefined;
    // As the undici layer leaves them: marked once the request was handed to the connection.
    const handedOver = (error: GatewayError, transport: unknown) => (markMayHaveBeenSent(error, transport), error);
    const timeout = handedOver(new GatewayError(ErrorCode.PROVIDER_TIMEOUT, 't', { provider: 'REACH' }), undefined);
    const socket = Object.assign(new Error('socket'), { code: 'ECONNRESET' });
    const reset = handedOver(new GatewayError(ErrorCode.PROVIDER_UNAVAILABLE, 'r', { cause: socket }), socket);
    const refusedSocket = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    const refused = handedOver(
      new GatewayError(ErrorCode.PROVIDER_UNAVAILABLE, 'c', { cause: refusedSocket }),
      refusedSocket,
    );
    // The deadline passed while waiting for a bulkhead slot: never handed over.
    const queued = new GatewayError(ErrorCode.PROVIDER_TIMEOUT, 'q', { provider: 'REACH' });
    expect(codeOf(toWriteError('REACH', timeout, read))).toBe('OUTCOME_UNKNOWN');
    expect(codeOf(toWriteError('REACH', reset, read))).toBe('OUTCOME_UNKNOWN');
    expect(codeOf(toWriteError('REACH', refused, read))).toBe('PROVIDER_UNAVAILABLE');
    expect(codeOf(toWriteError('REACH', queued, read))).toBe('PROVIDER_TIMEOUT');
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
  const at = { since: 1, deadlineAt: 2 };
  it('runs the first call, makes a concurrent one wait for its outcome, and refuses other input', async () => {
    const store = createIdempotencyStore(storeOptions());
    expect(await store.begin('c', 'k', 'f1', at)).toEqual({ kind: 'run' });
    const waiting = store.begin('c', 'k', 'f1', at);
    expect(await store.begin('c', 'k', 'f2', at)).toEqual({ kind: 'conflict' });
    await store.finish('c', 'k', 'f1', { kind: 'result', value: 'answer' });
    expect(await waiting).toEqual({ kind: 'replay', outcome: { kind: 'result', value: 'answer' } });
    await store.abandon('c', 'k');
    expect(await store.begin('c', 'k', 'f2', at)).toEqual({ kind: 'run' });
    await store.close();
  });

  it('hands an unknown key to one caller at a time, with the attempt it was sent in', async () => {
    const store = createIdempotencyStore(storeOptions());
    await store.begin('c', 'k', 'f', at);
    await store.unknown('c', 'k', 'f', { since: 10, deadlineAt: 20 });
    expect(await store.begin('c', 'k', 'f', at)).toEqual({ kind: 'unknown', attempt: { since: 10, deadlineAt: 20 } });
    // Held by the first retry: the second waits, and sees what the first settled.
    const second = store.begin('c', 'k', 'f', at);
    await store.finish('c', 'k', 'f', { kind: 'result', value: 'found' });
    expect(await second).toEqual({ kind: 'replay', outcome: { kind: 'result', value: 'found' } });
    await store.close();
  });

  it("refuses a client's new key at its cap without touching another client's keys", async () => {
    const store = createIdempotencyStore({ ...storeOptions(), perClient: 2 });
    await store.begin('victim', 'v', 'f', at);
    await store.finish('victim', 'v', 'f', { kind: 'result', value: 'kept' });
    expect(await store.begin('flood', 'a', 'f', at)).toEqual({ kind: 'run' });
    expect(await store.begin('flood', 'b', 'f', at)).toEqual({ kind: 'run' });
    expect(await store.begin('flood', 'c', 'f', at)).toEqual({ kind: 'limit', cap: 2 });
    // A freed key makes room again; the victim's key is still there.
    await store.abandon('flood', 'a');
    expect(await store.begin('flood', 'c', 'f', at)).toEqual({ kind: 'run' });
    expect(await store.begin('victim', 'v', 'f', at)).toEqual({
      kind: 'replay',
      outcome: { kind: 'result', value: 'kept' },
    });
    await store.close();
  });
});

describe('write scopes', () => {
  it('never collide when a part holds the separator of another encoding', () => {
    expect(writeScopeOf('sub:a', 'x|y', 'k')).not.toBe(writeScopeOf('sub:a', 'x', 'y|k'));
    expect(writeScopeOf('sub:a|x', 'y', 'k')).not.toBe(writeScopeOf('sub:a', 'x|y', 'k'));
    expect(writeScopeOf('sub:a', undefined, 'k')).not.toBe(writeScopeOf('sub:a', '', 'k'));
    expect(writeScopeOf('sub:a', 't', 'k')).toBe(writeScopeOf('sub:a', 't', 'k'));
  });
});

describe('the marker secret', () => {
  it('is derived from the provider credentials when unset: the same on every replica, not the cursor key', () => {
    const env = { AUTH_MODE: 'none', FACTCHECK_BASE_URL: 'http://check.test', FACTCHECK_API_KEY: 'vfy_one' };
    const a = loadConfig(env);
    const b = loadConfig({ ...env });
    expect(a.writes.markerSecret).toBe(b.writes.markerSecret);
    expect(a.writes.markerSecret).not.toBe(a.lists.cursorSecret);
    expect(loadConfig({ ...env, FACTCHECK_API_KEY: 'vfy_two' }).writes.markerSecret).not.toBe(a.writes.markerSecret);
    expect(loadConfig({ ...env, IDEMPOTENCY_MARKER_SECRET: 'given-secret' }).writes.markerSecret).toBe('given-secret');
  });
});
