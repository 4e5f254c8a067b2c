import { describe, expect, it } from 'vitest';
import { knownVariables, loadConfig } from '../../src/config.js';
import { parseRateLimit } from '../../src/upstream/budget/rate-limit.js';
import { startGateway } from '../../src/runtime.js';
import { MAX_TIMER_MS, type Env } from '../../src/config/settings.js';
import { refusal } from '../helpers/config.js';
import { freshDataDir } from '../helpers/data-dir.js';

/** Issue 23, part 7: settings refused, or warned about, at configuration rather than found out at run time. */

const BASE = { AUTH_MODE: 'none', DATA_DIR: freshDataDir() } as const;
const CHECK = { ...BASE, FACTCHECK_BASE_URL: 'http://check', FACTCHECK_API_KEY: 'vfy_x' } as const;

describe('rate-limit windows longer than a Node timer', () => {
  it.each([
    ['FACTCHECK_RATE_LIMIT', CHECK],
    ['REACH_RATE_LIMIT', { ...BASE, REACH_BASE_URL: 'http://reach', REACH_TOKEN: 't' }],
    [
      'GAMEBALL_RATE_LIMIT',
      { ...BASE, GAMEBALL_BASE_URL: 'http://gb', GAMEBALL_API_KEY: 'k', GAMEBALL_SECRET_KEY: 's' },
    ],
  ])('are refused: %s=2/600h, naming the variable and the limit', (name, env) => {
    const error = refusal({ ...env, [name]: '2/600h' });
    expect(error.messages).toHaveLength(1);
    expect(error.messages[0]).toMatch(new RegExp(`^${name} window "2/600h" is longer than 2147483647 ms`));
    expect(error.messages[0]).toContain('at most 596h');
    // One bad window among good ones is enough.
    expect(refusal({ ...env, [name]: '30/1s,2/600h' }).messages[0]).toContain('"2/600h"');
  });

  it('are accepted up to the limit itself', () => {
    // 2,147,483,000 ms, the longest window in whole seconds.
    const at = loadConfig({ ...CHECK, FACTCHECK_RATE_LIMIT: '1/2147483s' });
    expect(at.providers.FACT_CHECK?.rateLimit).toEqual([{ limit: 1, windowMs: 2_147_483_000 }]);
    expect(loadConfig({ ...CHECK, FACTCHECK_RATE_LIMIT: '2/596h' }).providers.FACT_CHECK?.rateLimit).toEqual([
      { limit: 2, windowMs: 596 * 3_600_000 },
    ]);
    expect(refusal({ ...CHECK, FACTCHECK_RATE_LIMIT: '1/2147484s' }).message).toContain('2147483647 ms');
    expect(refusal({ ...CHECK, FACTCHECK_RATE_LIMIT: '1/597h' }).message).toContain('2147483647 ms');
  });

  it('parseRateLimit says so itself', () => {
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
    expect(parseRateLimit('2/600h')).toMatch(/longer than 2147483647 ms .*the longest timer Node allows/);
    expect(parseRateLimit('999999999/999999999h')).toEqual(expect.any(String));
    expect(parseRateLimit('200/60s')).toEqual([{ limit: 200, windowMs: 60_000 }]);
  });
});

describe('every *_MS variable', () => {
  // Each is a delay or a timeout somewhere (a timer, or a sum of a few of them): none may reach Node's limit.
  const timed = knownVariables().filter((name) => name.endsWith('_MS'));

  it('is found (the list is not empty by mistake)', () => {
    for (const name of ['SHUTDOWN_TIMEOUT_MS', 'REQUEST_DEADLINE_MS', 'UPSTREAM_DEADLINE_MS', 'LIVE_LEASE_MS'])
      expect(timed).toContain(name);
    expect(timed.length).toBeGreaterThan(20);
  });

  it('refuses a value past the timer limit, whatever its own maximum', () => {
    for (const name of timed) {
      const error = refusal({ ...BASE, [name]: String(MAX_TIMER_MS + 1) });
      expect(
        error.messages.some((m) => m.startsWith(`${name} must be`)),
        `${name}: ${error.message}`,
      ).toBe(true);
    }
  });
});

describe('SHUTDOWN_TIMEOUT_MS', () => {
  it('has no warning with the defaults, nor when it equals REQUEST_DEADLINE_MS', () => {
    expect(loadConfig(BASE).warnings).toEqual([]);
    expect(loadConfig({ ...BASE, SHUTDOWN_TIMEOUT_MS: '20000', REQUEST_DEADLINE_MS: '20000' }).warnings).toEqual([]);
  });

  it('below REQUEST_DEADLINE_MS is a start-up warning naming both', () => {
    const { warnings } = loadConfig({ ...BASE, SHUTDOWN_TIMEOUT_MS: '18000', REQUEST_DEADLINE_MS: '19000' });
    expect(warnings).toEqual([
      expect.stringMatching(/^SHUTDOWN_TIMEOUT_MS \(18000 ms\) is shorter than REQUEST_DEADLINE_MS \(19000 ms\)/),
    ]);
  });

  it('shorter than a write can take (UPSTREAM_BUDGET_WAIT_MS + UPSTREAM_DEADLINE_MS + 1 s) is a warning', () => {
    // 1 s + 15 s + 1 s = 17 s by default.
    const env = { ...BASE, SHUTDOWN_TIMEOUT_MS: '16999', REQUEST_DEADLINE_MS: '10000' };
    expect(loadConfig(env).warnings).toEqual([
      expect.stringMatching(/^SHUTDOWN_TIMEOUT_MS \(16999 ms\) is shorter than a write can take \(17000 ms: /),
    ]);
    expect(loadConfig({ ...env, SHUTDOWN_TIMEOUT_MS: '17000' }).warnings).toEqual([]);
    // Computed from the upstream settings.
    expect(loadConfig({ ...env, UPSTREAM_BUDGET_WAIT_MS: '0' }).warnings).toEqual([]);
    expect(loadConfig({ ...env, SHUTDOWN_TIMEOUT_MS: '20000', UPSTREAM_DEADLINE_MS: '19000' }).warnings).toEqual([
      expect.stringContaining('(21000 ms: UPSTREAM_BUDGET_WAIT_MS + UPSTREAM_DEADLINE_MS + 1 s)'),
    ]);
  });

  it('of 0 gets both warnings', () => {
    expect(loadConfig({ ...BASE, SHUTDOWN_TIMEOUT_MS: '0' }).warnings).toHaveLength(2);
  });

  it('warnings are logged once at start-up, by the runtime, at warn', async () => {
    const lines: Record<string, unknown>[] = [];
    const config = loadConfig({ ...BASE, PORT: '0', LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '1000' });
    const running = await startGateway(config, {
      host: '127.0.0.1',
      logDestination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    await running.close();
    const shutdown = lines.filter((l) => String(l.msg).includes('SHUTDOWN_TIMEOUT_MS'));
    expect(shutdown.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^configuration: SHUTDOWN_TIMEOUT_MS \(1000 ms\) is shorter than REQUEST_DEADLINE_MS/),
      expect.stringMatching(/^configuration: SHUTDOWN_TIMEOUT_MS \(1000 ms\) is shorter than a write can take/),
    ]);
    expect(shutdown.every((l) => l.level === 40)).toBe(true);
  });
});

describe('FACTCHECK_WEBHOOK_SECRET', () => {
  const secret = (bytes: number) => 'x'.repeat(bytes);
  const webhookSecretOf = (env: Env) =>
    (loadConfig(env).providers.FACT_CHECK as { webhookSecret?: string } | undefined)?.webhookSecret;

  it.each([1, 8, 15])('of %i bytes is refused, naming the variable and the minimum, never the value', (bytes) => {
    const value = `k${secret(bytes - 1)}`;
    const error = refusal({ ...CHECK, FACTCHECK_WEBHOOK_SECRET: value });
    expect(error.messages).toEqual([
      expect.stringMatching(new RegExp(`^FACTCHECK_WEBHOOK_SECRET must be at least 16 bytes, got ${bytes}`)),
    ]);
    if (bytes > 1) expect(error.message).not.toContain(value);
  });

  it.each([16, 24, 31])('of %i bytes is accepted with a warning', (bytes) => {
    const config = loadConfig({ ...CHECK, FACTCHECK_WEBHOOK_SECRET: secret(bytes) });
    expect(webhookSecretOf({ ...CHECK, FACTCHECK_WEBHOOK_SECRET: secret(bytes) })).toBe(secret(bytes));
    expect(config.warnings).toEqual([
      expect.stringMatching(new RegExp(`^FACTCHECK_WEBHOOK_SECRET is only ${bytes} bytes, shorter than the 32`)),
    ]);
    expect(config.warnings[0]).not.toContain(secret(bytes));
  });

  it('of 32 bytes or more is accepted without a word', () => {
    expect(loadConfig({ ...CHECK, FACTCHECK_WEBHOOK_SECRET: secret(32) }).warnings).toEqual([]);
    expect(loadConfig({ ...CHECK, FACTCHECK_WEBHOOK_SECRET: secret(64) }).warnings).toEqual([]);
  });

  it('is measured in bytes (UTF-8), as HMAC sees it, after trimming', () => {
    // 8 characters, 16 bytes: accepted; 15 characters with spaces around: refused.
    expect(webhookSecretOf({ ...CHECK, FACTCHECK_WEBHOOK_SECRET: 'é'.repeat(8) })).toBe('é'.repeat(8));
    expect(refusal({ ...CHECK, FACTCHECK_WEBHOOK_SECRET: `  ${secret(15)}  ` }).message).toContain('got 15');
  });

  it('unset is no warning: webhooks are off', () => {
    expect(loadConfig(CHECK).warnings).toEqual([]);
    expect(webhookSecretOf(CHECK)).toBeUndefined();
  });
});

describe('CONFIG_STRICT=true: every start-up warning is an error', () => {
  it.each([
    ['an unknown variable', { UPSTREAM_TIMEOUT_MS: '1000' }, /^unknown variable UPSTREAM_TIMEOUT_MS/],
    ['a short webhook secret', { ...CHECK, FACTCHECK_WEBHOOK_SECRET: 'x'.repeat(20) }, /^FACTCHECK_WEBHOOK_SECRET/],
    ['SHUTDOWN_TIMEOUT_MS below REQUEST_DEADLINE_MS', { SHUTDOWN_TIMEOUT_MS: '18000' }, /REQUEST_DEADLINE_MS/],
    [
      'SHUTDOWN_TIMEOUT_MS shorter than a write',
      { SHUTDOWN_TIMEOUT_MS: '16000', REQUEST_DEADLINE_MS: '10000' },
      /shorter than a write can take/,
    ],
  ])('%s', (_, env, message) => {
    const lenient = loadConfig({ ...BASE, ...env });
    expect(lenient.warnings).toHaveLength(1);
    expect(lenient.warnings[0]).toMatch(message);
    const error = refusal({ ...BASE, ...env, CONFIG_STRICT: 'true' });
    expect(error.messages).toEqual([`${lenient.warnings[0]}: refused with CONFIG_STRICT=true`]);
  });

  it('reports them with the other errors, all at once', () => {
    const error = refusal({
      ...CHECK,
      CONFIG_STRICT: 'true',
      LIVE_LEASE_MS: '1',
      FACTCHECK_WEBHOOK_SECRET: 'x'.repeat(20),
      SHUTDOWN_TIMEOUT_MS: '18000',
      LIVE_POLL_MS: '5',
    });
    expect(error.messages).toHaveLength(4);
    for (const part of ['LIVE_LEASE_MS must be', 'FACTCHECK_WEBHOOK_SECRET', 'REQUEST_DEADLINE_MS', 'LIVE_POLL_MS'])
      expect(
        error.messages.some((m) => m.includes(part)),
        part,
      ).toBe(true);
  });

  it('starts as usual when there is nothing to warn about, and CONFIG_STRICT=false keeps warnings warnings', () => {
    expect(loadConfig({ ...CHECK, CONFIG_STRICT: 'true', FACTCHECK_WEBHOOK_SECRET: 'x'.repeat(32) }).warnings).toEqual(
      [],
    );
    expect(loadConfig({ ...BASE, CONFIG_STRICT: 'false', SHUTDOWN_TIMEOUT_MS: '18000' }).warnings).toHaveLength(1);
  });
});

/** Issue 28, part 6: every problem of a group in one run, not one run each. */
describe('grouped configuration errors', () => {
  it('AUTH_MODE=jwt without its variables names all three in one loadConfig call', () => {
    const error = refusal({ AUTH_MODE: 'jwt' });
    expect(error.messages).toEqual([
      expect.stringContaining('JWT_SECRET'),
      'AUTH_MODE=jwt needs JWT_ISSUER',
      'AUTH_MODE=jwt needs JWT_AUDIENCE',
    ]);
  });

  it("a provider's URL without its credentials reports every missing one", () => {
    expect(refusal({ ...BASE, GAMEBALL_BASE_URL: 'http://gb' }).messages).toEqual([
      'GAMEBALL_BASE_URL is set but GAMEBALL_API_KEY is missing',
      'GAMEBALL_BASE_URL is set but GAMEBALL_SECRET_KEY is missing',
    ]);
    // A bad URL does not hide them either.
    expect(refusal({ ...BASE, GAMEBALL_BASE_URL: 'ftp://gb' }).messages).toHaveLength(3);
  });

  it("a refused variable does not hide its group's rules", () => {
    const error = refusal({
      JWT_WRITE_SCOPE: 'a b',
      GAMEBALL_BASE_URL: 'http://gb',
      GAMEBALL_UPSTREAM_CONNECTIONS: '0',
    });
    for (const variable of [
      'JWT_WRITE_SCOPE',
      'JWT_SECRET',
      'JWT_ISSUER',
      'JWT_AUDIENCE',
      'GAMEBALL_UPSTREAM_CONNECTIONS',
      'GAMEBALL_API_KEY',
      'GAMEBALL_SECRET_KEY',
    ])
      expect(error.message).toContain(variable);
    expect(error.messages).toHaveLength(7);
    expect(refusal({ ...BASE, REDIS_URL: 'http://redis', UPSTREAM_RETRY_BASE_MS: '3000' }).messages).toHaveLength(2);
  });

  it('UPSTREAM_DEADLINE_MS=3000 alone starts: the per-phase timeouts default to what fits', async () => {
    const config = loadConfig({ ...BASE, UPSTREAM_DEADLINE_MS: '3000' });
    expect(config.upstream).toMatchObject({ deadlineMs: 3000, connectTimeoutMs: 3000, headersTimeoutMs: 3000 });
    expect(loadConfig(BASE).upstream).toMatchObject({ connectTimeoutMs: 5000, headersTimeoutMs: 10000 });
    expect(loadConfig({ ...BASE, UPSTREAM_DEADLINE_MS: '7000' }).upstream).toMatchObject({
      connectTimeoutMs: 5000,
      headersTimeoutMs: 7000,
    });
    // Set explicitly, they are still checked.
    expect(refusal({ ...BASE, UPSTREAM_DEADLINE_MS: '3000', UPSTREAM_CONNECT_TIMEOUT_MS: '4000' }).messages).toEqual([
      'UPSTREAM_CONNECT_TIMEOUT_MS (4000) must not exceed UPSTREAM_DEADLINE_MS (3000)',
    ]);
    const gateway = await startGateway(loadConfig({ ...BASE, PORT: '0', UPSTREAM_DEADLINE_MS: '3000' }), {
      host: '127.0.0.1',
      logDestination: { write: () => {} },
    });
    expect(gateway.port).toBeGreaterThan(0);
    await gateway.close();
  });
});
