/** Runs the gateway as its own process, as `npm start` does (tests and benchmarks). */
import { spawn, type ChildProcess } from 'node:child_process';

/** A gateway running as its own process (`src/main.ts` or the built `dist/main.js`). */
export interface GatewayProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** The JSON log lines (pino) printed so far, parsed; other lines are left out. */
  logs(): Record<string, unknown>[];
  /** Resolves with the exit code (or the signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** How to start it. */
export interface SpawnOptions {
  /** @default 20_000 */
  timeoutMs?: number;
  /** The command and its arguments. @default node --import tsx src/main.ts (the sources, no build needed) */
  command?: [string, ...string[]];
  /** @default the current directory */
  cwd?: string;
  /**
   * Node options put right after the command's first element (which must then be `node`), e.g.
   * `['--cpu-prof', '--cpu-prof-dir=/tmp/x']` or `['--inspect=127.0.0.1:0']`. @default none
   */
  nodeArgs?: string[];
  /**
   * Keeps only the last this many characters of the output once started (benchmarks, whose access
   * log would otherwise fill memory); `logs()` then parses that tail. @default everything
   */
  maxOutputChars?: number;
}

/** The gateway's sources through tsx, as tests and benchmarks run it. */
const SOURCE_COMMAND: [string, ...string[]] = [process.execPath, '--import', 'tsx', 'src/main.ts'];
/** The build (`npm run build`), as production runs it. */
export const BUILT_COMMAND: [string, ...string[]] = [process.execPath, 'dist/main.js'];

function parseLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A partial line (still being written) or not ours.
    }
  }
  return out;
}

/**
 * Spawns the gateway with `env` (PORT=0 unless given), reads the bound port from its JSON
 * `listening` log line, then waits until `/health` answers 200.
 */
export async function spawnGateway(env: Record<string, string>, options: SpawnOptions = {}): Promise<GatewayProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const [command, ...rest] = options.command ?? SOURCE_COMMAND;
  const args = [...(options.nodeArgs ?? []), ...rest];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...env, PORT: env.PORT ?? '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  let limit = Infinity; // set once started: the start-up lines are always kept whole
  const keep = (text: string) => (text.length > limit ? text.slice(text.length - limit) : text);
  child.stdout!.on('data', (c: Buffer) => {
    output = keep(output + c.toString());
    stdout = keep(stdout + c.toString());
  });
  child.stderr!.on('data', (c: Buffer) => (output = keep(output + c.toString())));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    const gateway = await started(child, exited, { output: () => output, stdout: () => stdout }, timeoutMs);
    limit = options.maxOutputChars ?? Infinity;
    return gateway;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

async function started(
  child: ChildProcess,
  exited: GatewayProcess['exited'],
  { output, stdout }: { output: () => string; stdout: () => string },
  timeoutMs: number,
): Promise<GatewayProcess> {
  const deadline = Date.now() + timeoutMs;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start in ${timeoutMs} ms:\n${output()}`)),
      timeoutMs,
    );
    const onData = () => {
      const line = parseLines(stdout()).find((l) => l.msg === 'listening' && typeof l.port === 'number');
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(line.port as number);
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code ?? signal}:\n${output()}`));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    const healthy = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`gateway on port ${port} did not answer /health:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `${base}/graphql`,
    port,
    child,
    exited,
    output,
    logs: () => parseLines(stdout()),
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
