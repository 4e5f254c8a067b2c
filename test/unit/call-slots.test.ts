import { describe, expect, it } from 'vitest';
import { callSlots } from '../../src/graphql/loaders.js';

/** A call that ends when told to. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('callSlots', () => {
  it('runs at most max calls at once and starts the waiting ones in order as slots free up', async () => {
    const slots = callSlots(2);
    const calls = Array.from({ length: 5 }, () => deferred<number>());
    const started: number[] = [];
    const results = calls.map((d, i) =>
      slots(() => {
        started.push(i);
        return d.promise;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    calls[1]!.resolve(1);
    await tick();
    expect(started).toEqual([0, 1, 2]);
    calls[0]!.reject(new Error('upstream down'));
    await tick();
    // A failed call frees its slot too.
    expect(started).toEqual([0, 1, 2, 3]);
    calls[2]!.resolve(2);
    calls[3]!.resolve(3);
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    calls[4]!.resolve(4);
    const settled = await Promise.allSettled(results);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : 'rejected'))).toEqual(['rejected', 1, 2, 3, 4]);
  });

  it('frees the slot of a call that throws before returning a promise', async () => {
    const slots = callSlots(1);
    await expect(
      slots(() => {
        throw new Error('bad input');
      }),
    ).rejects.toThrow('bad input');
    await expect(slots(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
