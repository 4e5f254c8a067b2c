import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/domain/errors.js';
import { RequestBudget } from '../../src/graphql/request-budget.js';
import { clientAddress, clientIdentity } from '../../src/identity/identity.js';
import { loadConfig } from '../../src/config.js';
import { SharedCalls } from '../../src/upstream/shared-calls.js';
import { callContextOf } from '../../src/upstream/call-context.js';
import { pino } from 'pino';

describe('RequestBudget', () => {
  it('fails calls beyond the budget at their field with QUERY_TOO_COMPLEX', async () => {
    const budget = new RequestBudget(2, 10_000);
    await budget.call('REACH', async () => 1);
    await budget.call('REACH', async () => 2);
    const third = budget.call('REACH', async () => 3);
    await expect(third).rejects.toMatchObject({ code: 'QUERY_TOO_COMPLEX', provider: 'REACH' });
    expect(budget.calls).toBe(2);
  });

  it('turns the response deadline into PROVIDER_TIMEOUT naming the provider, and refuses later calls', async () => {
    const budget = new RequestBudget(10, 30);
    budget.startDeadline();
    const waiting = budget.call(
      'GAMEBALL',
      (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    await expect(waiting).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT', provider: 'GAMEBALL' });
    await expect(budget.call('FACT_CHECK', async () => 1)).rejects.toMatchObject({
      code: 'PROVIDER_TIMEOUT',
      provider: 'FACT_CHECK',
    });
    budget.finish();
  });

  it('aborts when the client goes away', async () => {
    const client = new AbortController();
    const budget = new RequestBudget(10, 10_000, client.signal);
    const waiting = budget.call(
      'REACH',
      (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    client.abort();
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(budget.signal.aborted).toBe(true);
  });

  it('gives the scope it is asked to bind to the calls made with either of its signals', () => {
    const budget = new RequestBudget(10, 10_000, undefined, 'addr:10.0.0.1');
    expect(callContextOf(budget.signal)).toEqual({ traffic: 'interactive', client: 'addr:10.0.0.1' });
    const scope = { requestId: 'r-1', log: pino({ level: 'silent' }) };
    budget.bindScope(scope);
    expect(callContextOf(budget.signal).scope).toBe(scope);
    expect(callContextOf(budget.writeSignal).scope).toBe(scope);
    expect(callContextOf(budget.writeSignal).client).toBe('addr:10.0.0.1');
  });
});

describe('SharedCalls', () => {
  it('runs one call for identical keys and aborts it only when every waiter has left', async () => {
    const shared = new SharedCalls<string>();
    let starts = 0;
    let aborted = false;
    const start = (signal: AbortSignal) => {
      starts++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => resolve('done'), 100);
        signal.addEventListener('abort', () => {
          aborted = true;
          clearTimeout(timer);
          reject(new Error('aborted'));
        });
      });
    };
    const a = new AbortController();
    const b = new AbortController();
    const first = shared.run('k', a.signal, start);
    const second = shared.run('k', b.signal, start);
    expect(starts).toBe(1);
    a.abort(new Error('a left'));
    await expect(first).rejects.toThrow('a left');
    expect(aborted).toBe(false);
    await expect(second).resolves.toBe('done');

    const c = new AbortController();
    const third = shared.run('k', c.signal, start);
    expect(starts).toBe(2);
    c.abort(new Error('c left'));
    await expect(third).rejects.toThrow('c left');
    expect(aborted).toBe(true);
    expect(shared.size).toBe(0);
  });

  it('keeps the call for a waiter without a signal', async () => {
    const shared = new SharedCalls<number>();
    let aborted = false;
    const start = (signal: AbortSignal) =>
      new Promise<number>((resolve) => {
        signal.addEventListener('abort', () => (aborted = true));
        setTimeout(() => resolve(7), 30);
      });
    const leaving = new AbortController();
    const gone = shared.run('k', leaving.signal, start);
    const stays = shared.run('k', undefined, start);
    leaving.abort(new Error('left'));
    await expect(gone).rejects.toThrow('left');
    await expect(stays).resolves.toBe(7);
    expect(aborted).toBe(false);
  });
});

describe('client identity', () => {
  it('is the subject, else the tenant, else the remote address', () => {
    expect(clientIdentity({ subject: 'u1', tenant: 't' }, { remoteAddress: '10.0.0.1' }, 0).key).toBe('sub:u1');
    expect(clientIdentity({ tenant: 't' }, { remoteAddress: '10.0.0.1' }, 0).key).toBe('tenant:t');
    expect(clientIdentity({}, { remoteAddress: '::ffff:10.0.0.1' }, 0).key).toBe('addr:10.0.0.1');
  });

  it('reads X-Forwarded-For only through as many proxies as TRUST_PROXY trusts', () => {
    const origin = { remoteAddress: '10.0.0.9', forwardedFor: '203.0.113.7, 198.51.100.2' };
    expect(clientAddress(origin, 0)).toBe('10.0.0.9');
    expect(clientAddress(origin, 1)).toBe('198.51.100.2');
    expect(clientAddress(origin, 2)).toBe('203.0.113.7');
    expect(clientAddress(origin, 5)).toBe('203.0.113.7');
    // Anything that is not an address is ignored, never used as an identity.
    expect(clientAddress({ remoteAddress: '10.0.0.9', forwardedFor: 'evil\r\nx, 198.51.100.2' }, 2)).toBe(
      '198.51.100.2',
    );
    expect(loadConfig({ AUTH_MODE: 'none' }).trustProxy).toBe(0);
    expect(loadConfig({ AUTH_MODE: 'none', TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ AUTH_MODE: 'none', TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(() => loadConfig({ AUTH_MODE: 'none', TRUST_PROXY: 'lots' })).toThrow(/TRUST_PROXY/);
  });
});
