import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './local-redis.js';

/** A throwaway PostgreSQL cluster (tests, benchmarks): its URL, and how to stop, start again and remove it. */
export interface LocalPostgres {
  url: string;
  /** Stops the server (fast shutdown), keeping its data: `start()` brings it back on the same port. */
  stop(): void;
  start(): void;
  /** Stops it and removes its files. */
  close(): void;
}

/** The folder of Debian's server binaries (`/usr/lib/postgresql/<major>/bin`), newest major first. */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const major of majors) if (existsSync(join(root, major, 'bin', 'postgres'))) return join(root, major, 'bin');
  return undefined;
}

/**
 * Starts a throwaway cluster with Debian's `initdb` and `pg_ctl` on a free loopback port, trusting local
 * connections. The server refuses to run as root, so as root it runs as the `postgres` user (`runuser`).
 */
export async function startLocalPostgres(): Promise<LocalPostgres> {
  const bin = postgresBin();
  if (!bin)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'batchql-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]]
      : [join(bin, command), args];
    const result = spawnSync(file, argv, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-w',
      '-l',
      join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    ]);
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']);
    } catch {
      // Already stopped.
    }
  };
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    close: () => {
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a database on a local cluster (each test its own), answering its URL. */
export function createDatabase(cluster: LocalPostgres, name: string): string {
  const url = new URL(cluster.url);
  execFileSync(
    process.execPath,
    [
      '-e',
      `const { Client } = require('pg'); const c = new Client(${JSON.stringify(cluster.url)});
       c.connect().then(() => c.query('create database "${name}"')).then(() => c.end())
        .catch((e) => { console.error(e.message); process.exit(1); });`,
    ],
    { encoding: 'utf8' },
  );
  url.pathname = `/${name}`;
  return url.toString();
}
