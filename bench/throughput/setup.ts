/** What `npm run bench` and `npm run bench:profile` share besides the stack: settings, ids, the machine line. */
import { cpus, loadavg } from 'node:os';
import type { SimsProcess } from '../sims-process.js';
import type { BenchIds } from './cases.js';

/** yoga's parse and validation caches hold 1,024 documents: the inline case rotates over more ids than that. */
const DOCUMENT_CACHE_SIZE = 1024;

/** An integer setting of the bench (`min` or more), or `fallback` when unset. */
export function positiveInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

/** The load average now (1, 5, 15 min): above 1 before a run starts, other processes were using the cores. */
export function loadAverage(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (1, 5, 15 min)`;
}

/** The date, Node, the cores and the load average at the start (other work on the cores shows here). */
export function machineLine(what: string): string {
  const when = new Date().toISOString();
  return `batchql ${what}: ${when}, Node ${process.version}, ${cpus().length} cores, ${loadAverage()}`;
}

/** Every batch id of each simulator, any state (Reach: the gateway's tenant), checked for the inline case. */
export async function benchIds(sims: SimsProcess): Promise<BenchIds> {
  const all = async (key: keyof BenchIds) => Object.values(await sims.ids(key)).flat();
  const ids = { reach: await all('reach'), gameball: await all('gameball'), factCheck: await all('factCheck') };
  if (ids.reach.length <= 2 * DOCUMENT_CACHE_SIZE)
    throw new Error(`only ${ids.reach.length} Reach ids: the inline case would hit the document cache`);
  return ids;
}
