/**
 * A `redis-server` of a benchmark's own that keeps its data across a crash: an append-only file synced on
 * every write, in a temporary directory, so a SIGKILL and a start on the same port find every key again, as
 * a production Redis that holds idempotency keys must (`startLocalRedis` alone keeps nothing).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRedis, type LocalRedis } from '../src/dev/local-redis.js';

/** The server, plus `remove()`: stops it and deletes its directory. */
export type DurableRedis = LocalRedis & { remove(): Promise<void> };

/** Spawns `redis-server` (AOF, `appendfsync always`) on a free loopback port and waits until it answers. */
export async function startDurableRedis(): Promise<DurableRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'batchql-bench-redis-'));
  const redis = await startLocalRedis(['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
  return {
    ...redis,
    async remove() {
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
