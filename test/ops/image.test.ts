import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { spawnGateway, type GatewayProcess } from '../../src/dev/gateway-process.js';
import { freePort } from '../../src/dev/local-redis.js';
import { SIMULATOR_DEFINITIONS, SIMULATOR_PORTS } from '../../src/dev/simulators/index.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

/**
 * There is no Docker daemon here, so the image is kept honest by running what its runtime stage
 * holds: a production-only `npm ci` from the lockfile, the files its COPY lines copy, its ENV,
 * its CMD and its HEALTHCHECK, all read from the Dockerfile; and compose.yaml's services with
 * exactly their environment (host names and ports mapped to this machine).
 */
interface Stage {
  from: string;
  lines: string[];
}

function dockerStages(): Stage[] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)/i.exec(line);
    if (from) stages.push({ from: from[1]!, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

/** The exec-form array of an instruction (`CMD [...]`, `HEALTHCHECK … CMD [...]`). */
function execForm(line: string | undefined): string[] {
  const json = /CMD\s+(\[.*\])\s*$/.exec(line ?? '')?.[1];
  expect(json, `exec form in: ${line}`).toBeDefined();
  return JSON.parse(json!) as string[];
}

/** `node …` as this test's own node binary. */
const asNode = ([command, ...args]: string[]): [string, ...string[]] => {
  expect(command).toBe('node');
  return [process.execPath, ...args];
};

function run(
  command: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Starts a long-running process and waits for `ready` in its output. */
async function startUntil(
  command: string[],
  options: { cwd: string; env: Record<string, string> },
  ready: RegExp,
): Promise<{ child: ChildProcess; output(): string }> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not started in 20 s:\n${output}`)), 20_000);
    child.stdout!.on('data', () => {
      if (ready.test(output)) (clearTimeout(timer), resolve());
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`exited with ${code}:\n${output}`))));
  });
  return { child, output: () => output };
}

/** The last line `npm run sims` prints, after the whole environment. */
const SIMS_READY = /^# Ready/m;

let image: string;
const stages = dockerStages();
const runtime = stages.at(-1)!;
const processes: ChildProcess[] = [];
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  await ensureBuilt();
  image = mkdtempSync(join(tmpdir(), 'batchql-image-'));
  // The runtime stage's COPY lines, from the build stage (dist/) or the context.
  for (const line of runtime.lines.filter((l) => /^COPY\s/.test(l))) {
    const tokens = line.split(/\s+/).slice(1);
    const fromBuild = tokens.some((t) => t.startsWith('--from='));
    const paths = tokens.filter((t) => !t.startsWith('--'));
    const target = paths.pop()!;
    for (const source of paths) {
      // The build stage's WORKDIR is /app, and its dist/ is this checkout's build.
      const from = fromBuild ? source.replace(/^\/app\//, '') : source;
      const into = target.endsWith('/') ? join(image, target, basename(from)) : join(image, target);
      cpSync(join(ROOT, from), into, { recursive: true });
    }
  }
  // Its `npm ci --omit=dev` (from the npm cache when it can: the full install just filled it).
  const install = await run(['npm', 'ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: image,
  });
  if (install.code !== 0) throw new Error(`npm ci --omit=dev failed:\n${install.output}`);
}, 180_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.kill('SIGKILL')));
  for (const child of processes) if (child.exitCode === null) child.kill('SIGKILL');
  if (image) rmSync(image, { recursive: true, force: true });
});

describe('the Dockerfile', () => {
  it('builds and runs on the Node of .nvmrc (slim), production dependencies only, as a non-root user', () => {
    const major = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    expect(major).toMatch(/^\d+$/);
    // Every FROM line's major version is .nvmrc's, and so is the node running this test (.ci/node.sh).
    expect(stages.map((s) => s.from)).toEqual([`node:${major}-slim`, `node:${major}-slim`]);
    expect(process.versions.node.split('.')[0]).toBe(major);
    expect(stages[0]!.lines).toContain('RUN npm run build');
    expect(runtime.lines.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    expect(runtime.lines.filter((l) => /^USER\s/.test(l))).toEqual(['USER node']);
    expect(execForm(runtime.lines.find((l) => /^CMD\s/.test(l)))).toEqual(['node', 'dist/main.js']);
    // What the runtime stage holds: no tsx, no typescript, no sources.
    expect(existsSync(join(image, 'node_modules', 'graphql-yoga'))).toBe(true);
    expect(existsSync(join(image, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(image, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(image, 'src'))).toBe(false);
    expect(existsSync(join(image, 'dist', 'main.js'))).toBe(true);
    // The dashboard's bundle, built by the same `npm run build`, without its sources.
    expect(existsSync(join(image, 'dist', 'dashboard', 'index.html'))).toBe(true);
    expect(existsSync(join(image, 'dashboard'))).toBe(false);
  });

  it('serves with its CMD and ENV, answers its HEALTHCHECK, and stops on SIGTERM with exit 0', async () => {
    const env: Record<string, string> = {};
    for (const line of runtime.lines.filter((l) => /^ENV\s/.test(l)))
      for (const pair of line.replace(/^ENV\s+/, '').split(/\s+/)) {
        const [name, value] = pair.split('=') as [string, string];
        env[name] = value;
      }
    expect(env.NODE_ENV).toBe('production');
    // The ledger's folder: made writable for the app user and a volume (docs/ledger.md), here the image's own.
    expect(env.DATA_DIR).toBe('/app/data');
    expect(runtime.lines).toContain('RUN mkdir -p /app/data && chown node:node /app/data');
    expect(runtime.lines).toContain('VOLUME ["/app/data"]');
    expect(runtime.lines.indexOf('VOLUME ["/app/data"]')).toBeLessThan(runtime.lines.indexOf('USER node'));
    env.DATA_DIR = join(image, 'data');
    const port = String(await freePort());
    const sims = await startUntil(
      [process.execPath, 'dist/dev/sims.js'],
      { cwd: image, env: Object.fromEntries(SIMULATOR_PORTS.map((p) => [p.variable, '0'])) },
      SIMS_READY,
    );
    processes.push(sims.child);
    const simEnv = Object.fromEntries(
      sims
        .output()
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const g = await spawnGateway(
      { ...env, ...simEnv, PORT: port },
      { command: asNode(execForm(runtime.lines.find((l) => /^CMD\s/.test(l)))), cwd: image },
    );
    gateways.push(g);
    const res = await fetch(g.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ providers { provider configured } }' }),
    });
    // Every provider with a simulator is configured by the environment `npm run sims` printed.
    const configured = (await res.json()).data.providers.filter((p: any) => p.configured).map((p: any) => p.provider);
    expect(configured).toEqual(expect.arrayContaining(SIMULATOR_DEFINITIONS.map((d) => d.provider)));
    // The dashboard, from the image's dist/ alone.
    const page = await fetch(`http://127.0.0.1:${port}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<script type="module" crossorigin src="\/dashboard\/assets\/index-[\w-]+\.js">/);
    // The ledger lives in DATA_DIR, and /ready says so.
    const ready = (await (await fetch(`http://127.0.0.1:${port}/ready`)).json()) as any;
    expect(ready.ledger).toMatchObject({ state: 'ok', location: join(image, 'data', 'batchql.sqlite') });
    expect(existsSync(join(image, 'data', 'batchql.sqlite'))).toBe(true);
    const healthcheck = asNode(execForm(runtime.lines.find((l) => /^HEALTHCHECK\s/.test(l))));
    expect((await run(healthcheck, { cwd: image, env: { PORT: port } })).code).toBe(0);
    await g.kill('SIGTERM');
    expect(await g.exited).toEqual({ code: 0, signal: null });
    expect((await run(healthcheck, { cwd: image, env: { PORT: port } })).code).toBe(1);
  }, 60_000);
});

describe('compose.yaml', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  beforeAll(async () => {
    redis = await startRedis();
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await redis?.close();
    postgres?.close();
  });

  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<
      string,
      { command?: string[]; environment?: Record<string, string>; stop_grace_period?: string; healthcheck?: any }
    >;
  };

  it('runs two gateway replicas on one Redis, with a stop grace period longer than their drain', () => {
    const gw = ['gateway-1', 'gateway-2'].map((name) => compose.services[name]!);
    expect(new Set(gw.map((g) => g.environment!.INSTANCE_ID)).size).toBe(2);
    for (const g of gw) {
      expect(g.environment!.REDIS_URL).toBe('redis://redis:6379');
      const config = loadConfig(g.environment);
      // The readiness grace (SIGTERM) comes before the drain's timeout, outside it.
      expect(Number.parseInt(g.stop_grace_period!, 10) * 1000).toBeGreaterThan(
        config.shutdownDelayMs + config.shutdownTimeoutMs,
      );
    }
  });

  it('points its gateways at its simulators: sims and gateway-1 work with exactly their environment', async () => {
    const sims = compose.services.sims!;
    const simsEnv = { ...sims.environment! };
    // This machine instead of the compose network: loopback, and free ports for the fixed ones.
    const ports = new Map<string, string>();
    for (const { variable } of SIMULATOR_PORTS) {
      const free = String(await freePort());
      // A simulator compose.yaml does not place listens on a free port too (its gateways do not use it).
      if (simsEnv[variable]) ports.set(simsEnv[variable], free);
      simsEnv[variable] = free;
    }
    simsEnv.SIM_HOST = '127.0.0.1';
    simsEnv.SIM_PUBLIC_HOST = '127.0.0.1';
    const local = (value: string) =>
      value
        .replace(/^redis:\/\/redis:6379$/, redis.url)
        .replace(/^postgres:\/\/[^@]+@postgres:5432\/batchql$/, () => postgres.database())
        .replace(/^http:\/\/sims:(\d+)$/, (_, port: string) => `http://127.0.0.1:${ports.get(port) ?? port}`);
    const started = await startUntil(asNode(sims.command!), { cwd: image, env: simsEnv }, SIMS_READY);
    processes.push(started.child);
    const probe = (sims.healthcheck.test as string[])
      .slice(1)
      .map((arg) =>
        arg.replace(/^http:\/\/127\.0\.0\.1:(\d+)\//, (_, port: string) => `http://127.0.0.1:${ports.get(port)}/`),
      );
    expect((await run(asNode(probe), { cwd: image })).code).toBe(0);

    const gatewayEnv = Object.fromEntries(
      Object.entries(compose.services['gateway-1']!.environment!).map(([k, v]) => [k, local(String(v))]),
    );
    const g = await spawnGateway(gatewayEnv, { command: [process.execPath, 'dist/main.js'], cwd: image });
    gateways.push(g);
    const gameballId = ((await (await fetch(`http://127.0.0.1:${ports.get('4102')}/__sim/batches`)).json()) as any)
      .running[0] as string;
    const res = await fetch(g.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{ providers { provider configured canList }
                  batches(first: 5) { totalCount excludedProviders { provider } edges { node { provider } } }
                  gb: batch(provider: GAMEBALL, providerBatchId: "${gameballId}") { providerBatchId } }`,
      }),
    });
    const body = (await res.json()) as any;
    // No error: Reach accepted the fixed token and tenant, Check and Gameball their keys.
    expect(body.errors).toBeUndefined();
    expect(body.data.batches.totalCount).toBeGreaterThan(0);
    // Left out of merged lists: only a provider compose.yaml does not configure (Gameball, which cannot list, is
    // listed from the ledger).
    const left = body.data.providers.filter((p: any) => !p.configured).map((p: any) => p.provider);
    expect(left).not.toContain('GAMEBALL');
    expect(body.data.batches.excludedProviders).toEqual(left.map((provider: string) => ({ provider })));
    expect(body.data.gb.providerBatchId).toBe(gameballId);
    expect(g.logs().find((l) => l.msg === 'listening')).toMatchObject({ live: 'redis', instanceId: 'gateway-1' });
    // Its ledger is the compose file's PostgreSQL (no replica warning: both replicas share it).
    const ready = (await (await fetch(g.url.replace('/graphql', '/ready'))).json()) as any;
    expect(ready.ledger).toMatchObject({
      state: 'ok',
      location: expect.stringMatching(/^postgres:\/\/127\.0\.0\.1:\d+\/t_/),
    });
    expect(g.logs().some((l) => String(l.msg).includes('each replica keeps its own ledger'))).toBe(false);
  }, 60_000);
});
