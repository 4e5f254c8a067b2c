import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';

/**
 * `npm run demo` as a new user runs it (`node --import tsx src/dev/demo.ts`, the script's command): it finds the
 * build script, starts the simulators and the gateway, prints the URLs, serves the dashboard and GraphiQL, and
 * stops on SIGTERM with exit 0.
 */
let child: ChildProcess;
let output = '';

beforeAll(async () => {
  await ensureBuilt();
  child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/demo.ts'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start in 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      if (output.includes('Press Ctrl+C to stop.')) (clearTimeout(timer), resolve());
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

  it('stops on SIGTERM with exit 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
