/**
 * The gateway's memory after a forced garbage collection, read through the inspector protocol: the
 * gateway runs with `--inspect=127.0.0.1:0` and needs no code of its own for it (no `--expose-gc`, no
 * debug route). Benchmarks only.
 */
import { createWriteStream } from 'node:fs';
import WebSocket from 'ws';

/** `process.memoryUsage()` in the gateway, in bytes. */
export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** An inspector session on a process. */
export interface InspectorSession {
  /** Two full collections (`HeapProfiler.collectGarbage`), then `process.memoryUsage()`. */
  memoryAfterGc(): Promise<MemoryUsage>;
  /** Writes a heap snapshot (`HeapProfiler.takeHeapSnapshot`, after the same collections) to `path`. */
  heapSnapshot(path: string): Promise<void>;
  close(): void;
}

/** The Node option that opens the inspector on a free loopback port (it prints its URL on stderr). */
export const INSPECT_ARG = '--inspect=127.0.0.1:0';

/** Connects to the inspector whose `Debugger listening on ws://…` line is in `output()`. */
export async function connectInspector(output: () => string, timeoutMs = 10_000): Promise<InspectorSession> {
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!(url = /Debugger listening on (ws:\/\/\S+)/.exec(output())?.[1])) {
    if (Date.now() > deadline) throw new Error('no inspector URL in the output (started with --inspect?)');
    await new Promise((r) => setTimeout(r, 50));
  }
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let chunks: ((chunk: string) => void) | undefined;
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as {
      id?: number;
      method?: string;
      params?: { chunk?: string };
      result?: unknown;
      error?: { message: string };
    };
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk') return void chunks?.(message.params?.chunk ?? '');
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id!);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  socket.on('close', () => {
    for (const waiter of pending.values())
      waiter.reject(new Error('the inspector connection closed (did the process exit?)'));
    pending.clear();
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    memoryAfterGc: async () => {
      await send('HeapProfiler.collectGarbage');
      await send('HeapProfiler.collectGarbage');
      const result = (await send('Runtime.evaluate', {
        expression: 'JSON.stringify(process.memoryUsage())',
        returnByValue: true,
      })) as { result: { value: string } };
      return JSON.parse(result.result.value) as MemoryUsage;
    },
    heapSnapshot: async (path) => {
      await send('HeapProfiler.collectGarbage');
      await send('HeapProfiler.collectGarbage');
      const out = createWriteStream(path);
      chunks = (chunk) => out.write(chunk);
      try {
        await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      } finally {
        chunks = undefined;
        await new Promise<void>((resolve, reject) =>
          out.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
      }
    },
    close: () => socket.close(),
  };
}
