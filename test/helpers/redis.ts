import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A real Redis for tests: `REDIS_TEST_URL` when CI started one, else a `redis-server` spawned here. */
export interface TestRedis {
  url: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function ping(url: string, timeoutMs: number): Promise<void> {
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

/** Starts (or reuses) a Redis server and flushes a key prefix namespace per test run. */
export async function startRedis(): Promise<TestRedis> {
  const given = process.env.REDIS_TEST_URL;
  if (given) {
    await ping(given, 5_000);
    return { url: given, close: async () => {} };
  }
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(`redis-server is needed for the multi-replica tests (apt-get install redis-server): ${(error as Error).message}`);
  }
  const failed = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`redis-server is needed for the multi-replica tests (apt-get install redis-server): ${e.message}`))));
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([ping(url, 10_000), failed]);
  return {
    url,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
