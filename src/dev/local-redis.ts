/** A `redis-server` child process on a loopback port, for tests and benchmarks (never production). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A Redis server of our own that can be stopped and started again on the same port. */
export interface LocalRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: a crash, not a clean shutdown). */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>;
}

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Resolves once Redis at `url` answers PING. */
export async function pingRedis(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      await client.quit();
      return;
    } catch (error) {
      client.disconnect();
      if (Date.now() > deadline) throw new Error(`Redis at ${url} did not answer: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const NEEDED = 'redis-server is needed for the multi-replica tests and benchmarks (apt-get install redis-server)';

/**
 * Spawns `redis-server` on a free port and waits until it answers. No persistence unless `persistence`
 * gives the arguments for it (a directory and an append-only file: `bench/durable-redis.ts`).
 */
export async function startLocalRedis(
  persistence: readonly string[] = ['--save', '', '--appendonly', 'no'],
): Promise<LocalRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const spawned = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence], {
      stdio: 'ignore',
    });
    child = spawned;
    const failed = new Promise<never>((_, reject) =>
      spawned.once('error', (e) => reject(new Error(`${NEEDED}: ${e.message}`))),
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
  return { url, port, start, stop };
}
