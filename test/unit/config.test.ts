import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { freshDataDir } from '../helpers/data-dir.js';

describe('loadConfig', () => {
  it('defaults PORT to 4000 and disables providers without a base URL', () => {
    const config = loadConfig({ AUTH_MODE: 'none' });
    expect(config.port).toBe(4000);
    expect(config.providers.REACH).toBeUndefined();
    expect(config.providers.GAMEBALL).toBeUndefined();
    expect(config.providers.FACT_CHECK).toBeUndefined();
  });

  it('reads every provider', () => {
    const config = loadConfig({
      AUTH_MODE: 'none',
      PORT: '5000',
      REACH_BASE_URL: 'https://api.embedreach.com',
      REACH_TOKEN: 'jwt',
      REACH_TENANT_ID: 't1',
      GAMEBALL_BASE_URL: 'https://api.gameball.co',
      GAMEBALL_API_KEY: 'k',
      GAMEBALL_SECRET_KEY: 's',
      FACTCHECK_BASE_URL: 'https://api.check.ai',
      FACTCHECK_API_KEY: 'vfy_x',
    });
    expect(config.port).toBe(5000);
    expect(config.providers.REACH).toEqual({
      baseUrl: 'https://api.embedreach.com',
      token: 'jwt',
      tenantId: 't1',
      rateLimit: [],
    });
    expect(config.providers.GAMEBALL).toEqual({
      baseUrl: 'https://api.gameball.co',
      apiKey: 'k',
      secretKey: 's',
      // Gameball's documented "Others" limit.
      rateLimit: [
        { limit: 30, windowMs: 1_000 },
        { limit: 360, windowMs: 30_000 },
      ],
    });
    // Check on its default plan (Pro): 200 requests a minute.
    expect(config.providers.FACT_CHECK).toEqual({
      baseUrl: 'https://api.check.ai',
      apiKey: 'vfy_x',
      plan: 'pro',
      rateLimit: [{ limit: 200, windowMs: 60_000 }],
    });
  });

  it.each([
    [{ REACH_BASE_URL: 'http://x' }, 'REACH_TOKEN'],
    [{ GAMEBALL_BASE_URL: 'http://x', GAMEBALL_API_KEY: 'k' }, 'GAMEBALL_SECRET_KEY'],
    [{ FACTCHECK_API_KEY: 'vfy_x' }, 'FACTCHECK_BASE_URL'],
    [{ FACTCHECK_BASE_URL: 'not a url', FACTCHECK_API_KEY: 'vfy_x' }, 'FACTCHECK_BASE_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{}, 'JWT_SECRET'],
    [{ JWT_SECRET: 'x'.repeat(40), JWT_AUDIENCE: 'a' }, 'JWT_ISSUER'],
    [{ JWT_SECRET: 'x'.repeat(40), JWT_ISSUER: 'i' }, 'JWT_AUDIENCE'],
    [{ JWT_SECRET: 'short', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, 'JWT_SECRET'],
    [{ AUTH_MODE: 'maybe' }, 'AUTH_MODE'],
    [{ AUTH_MODE: 'none', REDIS_URL: 'http://redis' }, 'REDIS_URL'],
    [{ AUTH_MODE: 'none', LIVE_POLL_RUNNING_MS: '0' }, 'LIVE_POLL_RUNNING_MS'],
    [{ AUTH_MODE: 'none', INTROSPECTION: 'perhaps' }, 'INTROSPECTION'],
    [{ AUTH_MODE: 'none', SHUTDOWN_TIMEOUT_MS: '-1' }, 'SHUTDOWN_TIMEOUT_MS'],
    [{ AUTH_MODE: 'none', UPSTREAM_KEEP_ALIVE_MS: '0' }, 'UPSTREAM_KEEP_ALIVE_MS'],
    [
      { AUTH_MODE: 'none', REACH_BASE_URL: 'https://r', REACH_TOKEN: 't', REACH_UPSTREAM_CONNECTIONS: 'many' },
      'REACH_UPSTREAM_CONNECTIONS',
    ],
  ])('refuses a half-configured environment %j, naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it('reads per-provider pool sizes over UPSTREAM_CONNECTIONS, and the keep-alive', () => {
    const config = loadConfig({
      AUTH_MODE: 'none',
      UPSTREAM_CONNECTIONS: '20',
      UPSTREAM_KEEP_ALIVE_MS: '9000',
      REACH_BASE_URL: 'https://r',
      REACH_TOKEN: 't',
      REACH_UPSTREAM_CONNECTIONS: '64',
      FACTCHECK_BASE_URL: 'https://c',
      FACTCHECK_API_KEY: 'k',
    });
    expect(config.upstream.connections).toBe(20);
    expect(config.upstream.keepAliveMs).toBe(9_000);
    expect(config.providers.REACH?.connections).toBe(64);
    // Unset: no key at all, so the adapter's spread keeps UPSTREAM_CONNECTIONS.
    expect(config.providers.FACT_CHECK).not.toHaveProperty('connections');
    expect(loadConfig({ AUTH_MODE: 'none' }).upstream.keepAliveMs).toBe(4_000);
  });

  it('defaults SHUTDOWN_DELAY_MS to 5 s and reads it (0: no readiness grace)', () => {
    expect(loadConfig({ AUTH_MODE: 'none' }).shutdownDelayMs).toBe(5_000);
    expect(loadConfig({ AUTH_MODE: 'none', SHUTDOWN_DELAY_MS: '0' }).shutdownDelayMs).toBe(0);
    expect(loadConfig({ AUTH_MODE: 'none', SHUTDOWN_DELAY_MS: '1500' }).shutdownDelayMs).toBe(1_500);
  });

  it('defaults SHUTDOWN_TIMEOUT_MS to 25 s and reads it', () => {
    expect(loadConfig({ AUTH_MODE: 'none' }).shutdownTimeoutMs).toBe(25_000);
    expect(loadConfig({ AUTH_MODE: 'none', SHUTDOWN_TIMEOUT_MS: '0' }).shutdownTimeoutMs).toBe(0);
    expect(loadConfig({ AUTH_MODE: 'none', SHUTDOWN_TIMEOUT_MS: '5000' }).shutdownTimeoutMs).toBe(5_000);
  });

  it('reads JWT settings, defaulting the tenant claim, the write scope and the operator scope', () => {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(40), JWT_ISSUER: 'https://idp', JWT_AUDIENCE: 'batchql' });
    expect(config.auth).toEqual({
      mode: 'jwt',
      secret: 'x'.repeat(40),
      issuer: 'https://idp',
      audience: 'batchql',
      tenantClaim: 'reach_tenant',
      writeScope: 'batches:write',
      operatorScope: 'batches:operate',
    });
  });

  it('warns about replicas (REDIS_URL) that each keep their own ledger, refused with CONFIG_STRICT', () => {
    const base = { AUTH_MODE: 'none', REDIS_URL: 'redis://127.0.0.1:6379' };
    const warning = expect.stringContaining('REDIS_URL is set without DATABASE_URL: each replica keeps its own ledger');
    expect(loadConfig(base).warnings).toContainEqual(warning);
    expect(() => loadConfig({ ...base, CONFIG_STRICT: 'true' })).toThrow(/each replica keeps its own ledger/);
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://db/batchql' }).warnings).not.toContainEqual(warning);
    expect(loadConfig({ ...base, LEDGER: 'off' }).warnings).not.toContainEqual(warning);
    expect(loadConfig({ AUTH_MODE: 'none' }).warnings).not.toContainEqual(warning);
    expect(() => loadConfig({ AUTH_MODE: 'none', DATABASE_URL: 'mysql://db' })).toThrow(
      /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it('reads JWT_WRITE_SCOPE (one scope) and MAX_MUTATION_BODY_BYTES (not below MAX_BODY_BYTES)', () => {
    const base = { AUTH_MODE: 'none' };
    expect(loadConfig({ ...base, JWT_WRITE_SCOPE: 'jobs:submit' }).auth.writeScope).toBe('jobs:submit');
    expect(() => loadConfig({ ...base, JWT_WRITE_SCOPE: 'a b' })).toThrow(/JWT_WRITE_SCOPE must be one scope/);
    expect(loadConfig({ ...base, JWT_OPERATOR_SCOPE: 'ops' }).auth.operatorScope).toBe('ops');
    expect(() => loadConfig({ ...base, JWT_OPERATOR_SCOPE: 'a b' })).toThrow(/JWT_OPERATOR_SCOPE must be one scope/);
    expect(loadConfig(base).queries.maxMutationBodyBytes).toBe(10 * 1024 * 1024);
    expect(() => loadConfig({ ...base, MAX_BODY_BYTES: '5000', MAX_MUTATION_BODY_BYTES: '4000' })).toThrow(
      /MAX_MUTATION_BODY_BYTES \(4000\) must not be below MAX_BODY_BYTES \(5000\)/,
    );
  });
});

describe('the live polling defaults', () => {
  it('are the values docs/ documents, as the running hub uses them', async () => {
    const { startGateway } = await import('../../src/runtime.js');
    const running = await startGateway(
      loadConfig({ AUTH_MODE: 'none', PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: freshDataDir() }),
      {
        host: '127.0.0.1',
        graphiql: false,
      },
    );
    try {
      // Literals from docs/configuration.md and docs/live-progress.md's polling policy: a changed production
      // default must fail here.
      expect(running.live.hub.policy).toEqual({
        runningMs: 2_000,
        idleMs: 2_000,
        idleMaxMs: 30_000,
        pendingMs: 60_000,
        errorMs: 2_000,
        errorMaxMs: 60_000,
        backgroundMs: 30_000,
        jitter: 0.2,
      });
    } finally {
      await running.close();
    }
  });
});

describe('REDIS_URL and REDIS_KEY_PREFIX', () => {
  it('belong to the Redis settings: memory without a URL, the batchql: prefix by default', () => {
    expect(loadConfig({ AUTH_MODE: 'none' }).redis).toEqual({ keyPrefix: 'batchql:' });
    expect(loadConfig({ AUTH_MODE: 'none', REDIS_URL: 'redis://r:6379', REDIS_KEY_PREFIX: 'p:' }).redis).toEqual({
      url: 'redis://r:6379',
      keyPrefix: 'p:',
    });
    expect(loadConfig({ AUTH_MODE: 'none', REDIS_URL: 'redis://r:6379' }).live).not.toHaveProperty('redisUrl');
  });
});

describe('CORS_ORIGINS', () => {
  const origins = (value?: string) =>
    loadConfig({ AUTH_MODE: 'none', ...(value === undefined ? {} : { CORS_ORIGINS: value }) }).corsOrigins;

  it('grants no origin by default', () => {
    expect(origins()).toEqual([]);
    expect(origins('  ')).toEqual([]);
  });

  it('reads a comma-separated list in the form browsers send the Origin header', () => {
    expect(origins('https://ops.example.com, http://localhost:5173,HTTPS://App.Example.com:443/,*')).toEqual([
      'https://ops.example.com',
      'http://localhost:5173',
      'https://app.example.com',
      '*',
    ]);
  });

  it.each([
    'ops.example.com',
    'ftp://ops.example.com',
    'https://ops.example.com/app',
    'https://user:pw@ops.example.com',
    'https://ops.example.com?x=1',
    'https://ops.example.com#top',
    'null',
    'https://*.example.com',
    'http://localhost:99999',
  ])('refuses %j, naming CORS_ORIGINS', (entry) => {
    expect(() => origins(`https://ok.example, ${entry}`)).toThrow(ConfigError);
    expect(() => origins(`https://ok.example, ${entry}`)).toThrow(/CORS_ORIGINS/);
  });
});

describe('provider request budgets', () => {
  const check = (env: Record<string, string>) =>
    loadConfig({ AUTH_MODE: 'none', FACTCHECK_BASE_URL: 'http://c', FACTCHECK_API_KEY: 'k', ...env }).providers
      .FACT_CHECK as unknown as { plan: string; rateLimit: unknown };

  it('follow FACTCHECK_PLAN unless FACTCHECK_RATE_LIMIT says otherwise', () => {
    expect(check({ FACTCHECK_PLAN: 'free' }).rateLimit).toEqual([{ limit: 20, windowMs: 60_000 }]);
    expect(check({ FACTCHECK_PLAN: 'enterprise' }).rateLimit).toEqual([{ limit: 1_000, windowMs: 60_000 }]);
    expect(check({ FACTCHECK_PLAN: 'free', FACTCHECK_RATE_LIMIT: 'none' }).rateLimit).toEqual([]);
    expect(check({ FACTCHECK_RATE_LIMIT: '30/1s, 360/30s' }).rateLimit).toEqual([
      { limit: 30, windowMs: 1_000 },
      { limit: 360, windowMs: 30_000 },
    ]);
  });

  it.each([
    [{ FACTCHECK_PLAN: 'gold' }, 'FACTCHECK_PLAN'],
    [{ FACTCHECK_RATE_LIMIT: '200 per minute' }, 'FACTCHECK_RATE_LIMIT'],
    [{ FACTCHECK_RATE_LIMIT: '0/1s' }, 'FACTCHECK_RATE_LIMIT'],
    [{ UPSTREAM_INTERACTIVE_SHARE: '1.5' }, 'UPSTREAM_INTERACTIVE_SHARE'],
  ])('refuse %j, naming %s', (env, variable) => {
    expect(() => check(env)).toThrow(variable);
  });
});
