/**
 * A `redis-server` of a benchmark's own that keeps its data across a crash: an append-only file synced on
 * every write, in a temporary directory, so a SIGKILL and a start on the same port find every key again, as
 * a production Redis that holds idempotency keys must (`startLocalRedis` keeps nothing: a restart is empty).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pingRedis, type LocalRedis } from '../src/local-redis.js';

/** The server, plus `remove()`: stops it and deletes its directory. */
export type DurableRedis = LocalRedis & { remove(): Promise<void> };

/** Spawns `redis-server` (AOF, `appendfsync always`) on a free loopback port and waits until it answers. */
export async function startDurableRedis(): Promise<DurableRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'batchql-bench-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const spawned = spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
        ...['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
      ],
      { stdio: 'ignore' },
    );
    child = spawned;
    const failed = new Promise<never>((_, reject) =>
      spawned.once('error', (e) => reject(new Error(`redis-server is needed for this benchmark: ${e.message}`))),
    );
    failed.catch(() => {});
    await Promise.race([pingRedis(url, 10_000), failed]);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    port,
    start,
    stop,
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
