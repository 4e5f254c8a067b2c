/**
 * Reads a V8 CPU profile (`node --cpu-prof`'s `.cpuprofile`: JSON with `nodes`, `samples`,
 * `timeDeltas`) into self time by function and by package, as shares of busy time (all but `(idle)`).
 * Pure: `npm run bench:profile` prints it; test/unit/cpuprofile.test.ts checks it.
 */

/** The parts of a `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  /** Microseconds (the profiler's monotonic clock). */
  startTime: number;
  endTime: number;
  /** The node id on top of the stack at each sample. */
  samples: number[];
  /** Microseconds since the previous sample (the first: since `startTime`). */
  timeDeltas: number[];
}

/** Self time of one function or package. */
export interface SelfTime {
  name: string;
  /** Where it is: `package path:line` for a function; empty for a package. */
  location: string;
  selfMs: number;
  /** Of busy time. */
  percent: number;
}

/** A profile read by `summariseProfile`. */
export interface ProfileSummary {
  /** The window's sampled time, idle included. */
  totalMs: number;
  idleMs: number;
  busyMs: number;
  functions: SelfTime[];
  packages: SelfTime[];
}

/** The pseudo-functions V8 reports with no script. */
const SPECIAL = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/**
 * The package a frame belongs to: its `node_modules` package (the last one in the path, scoped names
 * whole), `batchql src` for the project's own files under `projectRoot`, `node:internal` for Node's own
 * modules, the special name for V8's pseudo-frames, `(native)` for native code with no script (V8 builtins,
 * Node's C++ bindings).
 */
export function packageOf(url: string, functionName: string, projectRoot: string): string {
  if (!url) return SPECIAL.has(functionName) ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const at = path.lastIndexOf('/node_modules/');
  if (at >= 0) {
    const parts = path.slice(at + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const root = projectRoot.endsWith('/') ? projectRoot : `${projectRoot}/`;
  return path.startsWith(root) ? 'batchql src' : 'other';
}

/** A frame's place for the function table: package, then the path inside it (or the project), and the line. */
function locationOf(url: string, line: number, pkg: string, projectRoot: string): string {
  if (!url) return pkg;
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const at = path.lastIndexOf(`/node_modules/${pkg}/`);
  const inside =
    at >= 0
      ? path.slice(at + `/node_modules/${pkg}/`.length)
      : path.startsWith(projectRoot)
        ? path.slice(projectRoot.length).replace(/^\//, '')
        : path;
  const where = pkg === 'batchql src' || pkg === 'node:internal' || pkg === 'other' ? inside : `${pkg} ${inside}`;
  return `${where}:${line + 1}`;
}

/**
 * Self time per function and per package over the samples taken from `fromMs` to `toMs` after the
 * profile's start (default: all of it). A sample lasts until the next one (the last: the mean interval).
 */
export function summariseProfile(
  profile: CpuProfile,
  options: { projectRoot: string; fromMs?: number; toMs?: number; top?: number },
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const from = options.fromMs ?? -Infinity;
  const to = options.toMs ?? Infinity;
  const n = profile.samples.length;
  const stamps: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) stamps.push((t += delta));
  const meanUs = n > 1 ? (stamps[n - 1]! - stamps[0]!) / (n - 1) : 0;

  const functions = new Map<string, { name: string; location: string; us: number }>();
  const packages = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < n; i++) {
    const atMs = (stamps[i]! - profile.startTime) / 1000;
    if (atMs < from || atMs > to) continue;
    const us = i + 1 < n ? stamps[i + 1]! - stamps[i]! : meanUs;
    const frame = byId.get(profile.samples[i]!)?.callFrame;
    if (!frame) continue;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const pkg = packageOf(frame.url, frame.functionName, options.projectRoot);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`;
    const entry = functions.get(key) ?? {
      name: frame.functionName || '(anonymous)',
      location: locationOf(frame.url, frame.lineNumber, pkg, options.projectRoot),
      us: 0,
    };
    entry.us += us;
    functions.set(key, entry);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => (busyUs > 0 ? (100 * us) / busyUs : 0);
  const top = options.top ?? 25;
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, location: f.location, selfMs: f.us / 1000, percent: share(f.us) })),
    packages: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, location: '', selfMs: us / 1000, percent: share(us) })),
  };
}

/** The two tables as Markdown (printed, and pasted into docs/benchmarks.md). */
export function profileTables(summary: ProfileSummary, topPackages = 15): string {
  const pct = (p: number) => `${p.toFixed(1)} %`;
  return [
    `Busy ${(summary.busyMs / 1000).toFixed(1)} s of ${(summary.totalMs / 1000).toFixed(1)} s sampled ` +
      `(${pct((100 * summary.busyMs) / Math.max(1e-9, summary.totalMs))}); shares are of busy time.`,
    '',
    '| function (self time) | where | busy |',
    '|---|---|---|',
    ...summary.functions.map((f) => `| \`${f.name}\` | ${f.location} | ${pct(f.percent)} |`),
    '',
    '| package (self time) | busy |',
    '|---|---|',
    ...summary.packages.slice(0, topPackages).map((p) => `| ${p.name} | ${pct(p.percent)} |`),
  ].join('\n');
}
