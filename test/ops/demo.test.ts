import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { ensureBuilt } from '../helpers/build.js';

/**
 * `npm run demo` as a new user runs it (`node --import tsx src/dev/demo.ts`, the script's command): it finds the
 * build script, starts the simulators and the gateway, prints the URLs, serves the dashboard and GraphiQL, stays
 * quiet while it is used (warnings only, for people), and says what it stopped on SIGTERM, with exit 0;
 * `npm run sims` says so on SIGINT (Ctrl+C).
 */
let child: ChildProcess;
let output = '';
/** The output up to the last line the demo prints at start. */
let printed = '';

/** The environment a user has: no LOG_LEVEL of the test run's, so the demo's default applies. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.LOG_LEVEL;
  return env;
}

beforeAll(async () => {
  await ensureBuilt();
  child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/demo.ts'], {
    env: userEnv({ PORT: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start in 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      if (output.includes('Press Ctrl+C to stop.')) (clearTimeout(timer), (printed = output), resolve());
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the demo exited with ${code}:\n${output}`))));
  });
}, 90_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

const urlAfter = (label: string) => new RegExp(`${label}:\\s+(http://\\S+)`).exec(output)?.[1];

describe('npm run demo', () => {
  it('builds (or finds fresh) the dashboard and prints where the dashboard and GraphiQL are', () => {
    expect(output).not.toMatch(/could not be built|Cannot find module/);
    expect(urlAfter('Dashboard')).toMatch(/\/dashboard$/);
    expect(urlAfter('GraphiQL')).toMatch(/\/graphql$/);
  });

  it('serves the dashboard page, GraphiQL and a query over the seeded providers', async () => {
    const dashboard = await fetch(`${urlAfter('Dashboard')}/`);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain('<div id="root">');
    const graphiql = await fetch(urlAfter('GraphiQL')!, { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    const answer = await fetch(urlAfter('GraphiQL')!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ providers { provider configured } }' }),
    });
    const { data } = (await answer.json()) as { data: { providers: { provider: string; configured: boolean }[] } };
    expect(data.providers.length).toBeGreaterThanOrEqual(3);
    expect(data.providers.every((p) => p.configured)).toBe(true);
  });

  it('opens GraphiQL on a batch running now, its live example', () => {
    const live = /WatchLive follows Check batch (batch_\w+), running now, about \d+ min left/.exec(output)?.[1];
    expect(live).toBeDefined();
    expect(output).toContain(`# variables: {"id":"${toGlobalId('FACT_CHECK', live!)}"}`);
    expect(output).toContain(`%22${toGlobalId('FACT_CHECK', live!)}%22`);
  });

  it('stays quiet while used: warnings only, in words, so what it printed stays on screen', async () => {
    // Operations that log a line each at info: none here.
    for (let i = 0; i < 5; i++)
      await fetch(urlAfter('GraphiQL')!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ batches(first: 5) { totalCount } }' }),
      });
    await new Promise((r) => setTimeout(r, 1_000));
    const lines = output.split('\n');
    expect(
      lines.filter((line) => line.trimStart().startsWith('{"')),
      'JSON log lines',
    ).toEqual([]);
    expect(output.slice(printed.length).trim(), 'printed after the start').toBe('');
    // The URLs, the examples and a few words around them.
    expect(printed.split('\n').length).toBeLessThan(120);
  });

  it('says what it stopped on SIGTERM, with exit 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.trimEnd().split('\n').at(-1)).toBe('batchql demo: stopped the gateway and the simulators');
  });
});

describe('npm run sims', () => {
  it('says what it stopped on Ctrl+C (SIGINT), with exit 0', async () => {
    const ports = { SIM_REACH_PORT: '0', SIM_GAMEBALL_PORT: '0', SIM_FACTCHECK_PORT: '0' };
    const sims = spawn(process.execPath, ['--import', 'tsx', 'src/dev/sims.ts'], {
      env: userEnv(ports),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    sims.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    sims.stderr!.on('data', (c: Buffer) => (text += c.toString()));
    const exited = new Promise<number | null>((resolve) => sims.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => text, { timeout: 30_000 }).toContain('# Ready');
      sims.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(text.trimEnd().split('\n').at(-1)).toBe('batchql sims: stopped the simulators');
    } finally {
      if (sims.exitCode === null) sims.kill('SIGKILL');
    }
  }, 40_000);
});
