import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which kind of work an upstream call serves: a client waiting for an answer (`interactive`, the
 * default) or the poll hub keeping live streams fresh (`background`). The provider's request
 * budget gives interactive calls priority and a reserved share.
 */
export type TrafficClass = 'interactive' | 'background';

const storage = new AsyncLocalStorage<TrafficClass>();

/** Runs `fn` (and every upstream call it makes) as background traffic. */
export function inBackground<T>(fn: () => Promise<T>): Promise<T> {
  return storage.run('background', fn);
}

/** The traffic class of the current call. */
export function trafficClass(): TrafficClass {
  return storage.getStore() ?? 'interactive';
}
