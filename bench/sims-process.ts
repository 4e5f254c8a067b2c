/**
 * The simulators as their own process (`npm run sims`, `src/dev/sims.ts`), so they share neither the
 * gateway's event loop nor the load generator's. The environment that points a gateway at them is
 * read from the `KEY=value` lines it prints; faults and ids go through its `/__sim/` control routes.
 */
import { spawn } from 'node:child_process';
import type { FaultRule } from '../src/dev/simulators/index.js';

/** The simulators' keys, as `/__sim/` control routes are reached per simulator. */
export type SimKey = 'reach' | 'gameball' | 'factCheck';

/** A running simulators process. */
export interface SimsProcess {
  /** The gateway environment it printed (base URLs, credentials, the matching budgets). */
  env: Record<string, string>;
  urls: Record<SimKey, string>;
  /** Batch ids by state (`GET /__sim/batches`; Reach: the configured tenant's only). */
  ids(key: SimKey): Promise<Record<string, string[]>>;
  /** Sets one fault rule on every simulator (`null` clears them). */
  setFaultEverywhere(rule: FaultRule | null): Promise<void>;
  close(): Promise<void>;
}

const BASE_URL_OF: Record<SimKey, string> = {
  reach: 'REACH_BASE_URL',
  gameball: 'GAMEBALL_BASE_URL',
  factCheck: 'FACTCHECK_BASE_URL',
};
/** The lines to wait for: every provider's base URL and credentials. */
const REQUIRED = [
  ...Object.values(BASE_URL_OF),
  'REACH_TOKEN',
  'REACH_TENANT_ID',
  'GAMEBALL_API_KEY',
  'GAMEBALL_SECRET_KEY',
  'FACTCHECK_API_KEY',
];

/** Starts `src/dev/sims.ts` on free ports with `env` (SIM_SEED, SIM_BATCHES, SIM_FACTCHECK_PLAN, ...). */
export async function spawnSims(env: Record<string, string>, timeoutMs = 30_000): Promise<SimsProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/sims.ts'], {
    env: { ...process.env, SIM_REACH_PORT: '0', SIM_GAMEBALL_PORT: '0', SIM_FACTCHECK_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const printed = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`simulators did not start in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    void exited.then(() => reject(new Error(`simulators exited:\n${output}`)));
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      const lines = output.split('\n').slice(0, -1); // complete lines only
      const found = Object.fromEntries(
        lines.map((l) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l)).flatMap((m) => (m ? [[m[1]!, m[2]!]] : [])),
      );
      if (REQUIRED.every((k) => k in found)) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
  const urls = Object.fromEntries(Object.entries(BASE_URL_OF).map(([key, name]) => [key, printed[name]!])) as Record<
    SimKey,
    string
  >;
  const control = async (key: SimKey, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${urls[key]}/__sim/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} /__sim/${path} on ${key}: HTTP ${res.status}`);
    return res.status === 204 ? undefined : ((await res.json()) as unknown);
  };
  return {
    env: printed,
    urls,
    ids: async (key) => (await control(key, 'GET', 'batches')) as Record<string, string[]>,
    setFaultEverywhere: async (rule) => {
      for (const key of Object.keys(urls) as SimKey[])
        await (rule ? control(key, 'POST', 'faults', rule) : control(key, 'DELETE', 'faults'));
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
