import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, knownVariables, loadConfig } from '../../src/config.js';
import { readPersistedOperations } from '../../src/graphql/security.js';
import { startGateway } from '../../src/runtime.js';
import { refusal } from '../helpers/config.js';
import { freshDataDir } from '../helpers/data-dir.js';

const BASE = { AUTH_MODE: 'none', DATA_DIR: freshDataDir() } as const;

describe('configuration errors', () => {
  it('are reported all at once, one message per problem', () => {
    const error = refusal({ PORT: 'eighty', LIVE_LEASE_MS: '1', REACH_BASE_URL: 'http://x', CORS_ORIGINS: 'ftp://a' });
    // Every problem of every fragment: AUTH_MODE=jwt (the default) lacks a key, an issuer and an audience.
    expect(error.messages).toHaveLength(7);
    expect(error.messages.join('\n')).toBe(error.message);
    for (const variable of [
      'PORT',
      'LIVE_LEASE_MS',
      'REACH_TOKEN',
      'JWT_SECRET',
      'JWT_ISSUER',
      'JWT_AUDIENCE',
      'CORS_ORIGINS',
    ])
      expect(error.message).toContain(variable);
  });

  it.each([
    [{ LIVE_POLL_IDLE_MS: '5000', LIVE_POLL_IDLE_MAX_MS: '1000' }, 'LIVE_POLL_IDLE_MS', 'LIVE_POLL_IDLE_MAX_MS'],
    [{ LIVE_POLL_ERROR_MS: '90000' }, 'LIVE_POLL_ERROR_MS', 'LIVE_POLL_ERROR_MAX_MS'],
    [{ UPSTREAM_RETRY_BASE_MS: '3000' }, 'UPSTREAM_RETRY_BASE_MS', 'UPSTREAM_RETRY_MAX_MS'],
    [
      { UPSTREAM_DEADLINE_MS: '4000', UPSTREAM_CONNECT_TIMEOUT_MS: '5000', UPSTREAM_HEADERS_TIMEOUT_MS: '10000' },
      'UPSTREAM_CONNECT_TIMEOUT_MS',
      'UPSTREAM_DEADLINE_MS',
    ],
    [{ UPSTREAM_HEADERS_TIMEOUT_MS: '20000' }, 'UPSTREAM_HEADERS_TIMEOUT_MS', 'UPSTREAM_DEADLINE_MS'],
  ])('refuse an inconsistent pair: %j', (env, first, second) => {
    const error = refusal({ ...BASE, ...env });
    expect(error.messages).toHaveLength('UPSTREAM_DEADLINE_MS' in env ? 2 : 1);
    expect(error.messages[0]).toContain(first);
    expect(error.messages[0]).toContain(second);
  });

  it('accept a pair at its limit', () => {
    expect(() =>
      loadConfig({ ...BASE, LIVE_POLL_IDLE_MS: '1000', LIVE_POLL_IDLE_MAX_MS: '1000', UPSTREAM_RETRY_BASE_MS: '2000' }),
    ).not.toThrow();
  });
});

describe('unknown variables', () => {
  it('are warned about with the closest known name', () => {
    const config = loadConfig({ ...BASE, UPSTREAM_TIMEOUT_MS: '1000', LIVE_POLL_MS: '500' });
    expect(config.warnings).toEqual([
      'unknown variable LIVE_POLL_MS (did you mean LIVE_POLL_IDLE_MS?)',
      'unknown variable UPSTREAM_TIMEOUT_MS (did you mean UPSTREAM_BODY_TIMEOUT_MS?)',
    ]);
  });

  it('get no suggestion when nothing is close', () => {
    expect(loadConfig({ ...BASE, LIVE_SOMETHING_ELSE_ENTIRELY: 'x' }).warnings).toEqual([
      'unknown variable LIVE_SOMETHING_ELSE_ENTIRELY',
    ]);
  });

  it('are refused with CONFIG_STRICT=true, together with the other errors', () => {
    const error = refusal({ ...BASE, CONFIG_STRICT: 'true', UPSTREAM_TIMEOUT_MS: '1000', PORT: 'x' });
    expect(error.messages).toHaveLength(2);
    expect(error.message).toContain('PORT');
    expect(error.message).toMatch(/UPSTREAM_TIMEOUT_MS \(did you mean UPSTREAM_BODY_TIMEOUT_MS\?\).*CONFIG_STRICT/);
    expect(loadConfig({ ...BASE, CONFIG_STRICT: 'true' }).warnings).toEqual([]);
  });

  it("leave test tooling's and other programs' variables alone", () => {
    const env = {
      ...BASE,
      CONFIG_STRICT: 'true',
      REDIS_TEST_URL: 'redis://127.0.0.1:6395',
      BENCH_SECONDS: '5',
      SIM_HOST: '127.0.0.1',
      CHROMIUM_PATH: '/usr/bin/chromium',
      npm_lifecycle_event: 'test',
      NODE_ENV: 'test',
      LOG_FORMAT: 'json',
      AUTH_HEADER: 'x',
      HOME: '/root',
      PATH: '/usr/bin',
    };
    expect(loadConfig(env).warnings).toEqual([]);
  });

  it('are judged against every fragment, provider ones included', () => {
    const known = knownVariables();
    for (const name of ['CONFIG_STRICT', 'PORT', 'UPSTREAM_DEADLINE_MS', 'LIVE_LEASE_MS', 'REACH_TOKEN', 'JWT_SECRET'])
      expect(known).toContain(name);
    expect(loadConfig({ ...BASE, GAMEBALL_SECRET: 'x' }).warnings).toEqual([
      'unknown variable GAMEBALL_SECRET (did you mean GAMEBALL_SECRET_KEY?)',
    ]);
  });

  it('are logged at warn once at start-up', async () => {
    const lines: Record<string, unknown>[] = [];
    const running = await startGateway(loadConfig({ ...BASE, PORT: '0', LOG_LEVEL: 'warn', LIVE_POLL_MS: '1' }), {
      host: '127.0.0.1',
      logDestination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    await running.close();
    const warned = lines.filter((l) => String(l.msg).includes('LIVE_POLL_MS'));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.level).toBe(40);
  });
});

describe('start-up failures name their variable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'batchql-config-'));

  it('PERSISTED_OPERATIONS_FILE missing, malformed or of the wrong shape', () => {
    const missing = join(dir, 'missing.json');
    expect(() => readPersistedOperations(missing)).toThrow(ConfigError);
    expect(() => readPersistedOperations(missing)).toThrow(`PERSISTED_OPERATIONS_FILE "${missing}" does not exist`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ not json');
    expect(() => readPersistedOperations(broken)).toThrow(/PERSISTED_OPERATIONS_FILE .*broken\.json.* not valid JSON/);
    const list = join(dir, 'list.json');
    writeFileSync(list, '["{ a }"]');
    expect(() => readPersistedOperations(list)).toThrow(/PERSISTED_OPERATIONS_FILE .*list\.json/);
    expect(() => readPersistedOperations(dir)).toThrow(/PERSISTED_OPERATIONS_FILE .* cannot be read \(EISDIR\)/);
  });

  it('a gateway with a missing PERSISTED_OPERATIONS_FILE does not start', async () => {
    const missing = join(dir, 'absent.json');
    const config = loadConfig({ ...BASE, PORT: '0', LOG_LEVEL: 'silent', PERSISTED_OPERATIONS_FILE: missing });
    await expect(startGateway(config, { host: '127.0.0.1' })).rejects.toThrow(
      `PERSISTED_OPERATIONS_FILE "${missing}" does not exist`,
    );
  });

  it('an unreachable REDIS_URL, without its password', async () => {
    const config = loadConfig({
      ...BASE,
      PORT: '0',
      LOG_LEVEL: 'silent',
      REDIS_URL: 'redis://user:hunter2@127.0.0.1:1',
    });
    const failure = startGateway(config, { host: '127.0.0.1' });
    await expect(failure).rejects.toThrow(/^REDIS_URL: cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/);
    await expect(failure).rejects.not.toThrow(/hunter2|user/);
  });
});

describe('/ready without providers', () => {
  it('is 503 and says why', async () => {
    const running = await startGateway(loadConfig({ ...BASE, PORT: '0', LOG_LEVEL: 'silent' }), { host: '127.0.0.1' });
    try {
      const res = await fetch(`http://127.0.0.1:${running.port}/ready`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ready: boolean; reason: string; providers: object };
      expect(body).toMatchObject({ ready: false, providers: {} });
      expect(body.reason).toMatch(/no provider is configured/);
    } finally {
      await running.close();
    }
  });
});
