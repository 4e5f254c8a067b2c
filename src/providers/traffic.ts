import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which kind of work an upstream call serves: a client waiting for an answer (`interactive`, the
 * default), a live stream's first read (`first-read`: its subscriber waits, but it draws on the
 * polling share) or the poll hub keeping live streams fresh (`background`). The provider's request
 * budget gives interactive calls priority and a reserved share, then first reads, then paced polls.
 */
export type TrafficClass = 'interactive' | 'first-read' | 'background';

const storage = new AsyncLocalStorage<TrafficClass>();

/** Runs `fn` (and every upstream call it makes) as background traffic (or as a stream's first read). */
export function inBackground<T>(fn: () => Promise<T>, kind: 'background' | 'first-read' = 'background'): Promise<T> {
  return storage.run(kind, fn);
}

/** The traffic class of the current call. */
export function trafficClass(): TrafficClass {
  return storage.getStore() ?? 'interactive';
}
