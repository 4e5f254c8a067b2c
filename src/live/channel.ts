const noop = () => {};
const endResult = (): IteratorResult<never> => ({ value: undefined, done: true });

/**
 * A single-consumer async stream that keeps only the newest undelivered value per key (one
 * key unless `keyOf` is given): a slow consumer skips intermediate states instead of buffering
 * them, so its memory cost is bounded by the number of keys however fast the producer is.
 * `close()` ends it after the pending values; `fail()` ends it with an error after them.
 * Lean on purpose (one per live subscriber): a one-key channel holds its value in a field, a
 * keyed one makes its map on the first value, and the default callbacks are shared.
 */
export class LatestValueChannel<T> implements AsyncIterableIterator<T> {
  /** The undelivered values by key (keyed channels, made on the first value). */
  private pending: Map<string, T> | undefined;
  /** The undelivered value of a one-key channel. */
  private held: T | undefined;
  private holding = false;
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  private done = false;
  private error: unknown;
  private returned = false;
  /** Told once when the consumer reaches the end: done, failed or returned (`onEnd`). */
  private ended: (() => void) | undefined;
  /** Values replaced before delivery (for tests and metrics). */
  dropped = 0;
  /** The key of the value `next()` delivered last (keyed channels): what a per-key comparison reads. */
  lastKey: string | undefined;

  constructor(
    private readonly onReturn: () => void = noop,
    private readonly keyOf: ((value: T) => string) | undefined = undefined,
  ) {}

  /** Offers a value; replaces an undelivered one of the same key. Ignored after close. */
  push(value: T): void {
    if (this.done) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      if (this.keyOf) this.lastKey = this.keyOf(value);
      resolve({ value, done: false });
      return;
    }
    if (!this.keyOf) {
      if (this.holding) this.dropped++;
      this.held = value;
      this.holding = true;
      return;
    }
    const key = this.keyOf(value);
    const pending = (this.pending ??= new Map());
    if (pending.has(key)) {
      this.dropped++;
      pending.delete(key);
    }
    pending.set(key, value);
  }

  /** Ends the stream once the pending values are delivered. */
  close(): void {
    this.finish(undefined);
  }

  /** Ends the stream with `error` once the pending values are delivered. */
  fail(error: unknown): void {
    this.finish(error ?? new Error('stream failed'));
  }

  /**
   * Calls `fn` once when the consumer reaches the end of the stream: `next()` answers done or
   * rejects, or the consumer returns early (one callback; a second replaces the first).
   */
  onEnd(fn: () => void): this {
    this.ended = fn;
    return this;
  }

  /** How many values are held: the memory a slow consumer costs. */
  get buffered(): number {
    return this.holding ? 1 : (this.pending?.size ?? 0);
  }

  get closed(): boolean {
    return this.done;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.holding) {
      const value = this.held as T;
      this.held = undefined;
      this.holding = false;
      return Promise.resolve({ value, done: false });
    }
    const first = this.pending?.entries().next();
    if (first && !first.done) {
      this.pending!.delete(first.value[0]);
      this.lastKey = first.value[0];
      return Promise.resolve({ value: first.value[1], done: false });
    }
    if (this.done) {
      this.reachedEnd();
      if (this.error !== undefined) {
        const error = this.error;
        this.error = undefined;
        return Promise.reject(error);
      }
      return Promise.resolve(endResult());
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.pending = undefined;
    this.held = undefined;
    this.holding = false;
    this.error = undefined;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve(endResult());
    }
    this.reachedEnd();
    if (!this.returned) {
      this.returned = true;
      this.onReturn();
    }
    return Promise.resolve(endResult());
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private reachedEnd(): void {
    const ended = this.ended;
    this.ended = undefined;
    ended?.();
  }

  private finish(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    if (this.waiting && !this.holding && !this.pending?.size) {
      const waiting = this.waiting;
      this.waiting = undefined;
      this.reachedEnd();
      if (error === undefined) waiting.resolve(endResult());
      else {
        this.error = undefined;
        waiting.reject(error);
      }
    }
  }
}

/**
 * Merges several streams into one latest-value-per-key stream; it ends when all inputs end,
 * with the first error only when every input failed. Returning it returns every input. Each
 * input is pumped by callbacks (no async function per input held while it waits).
 */
export function mergeLatest<T>(inputs: AsyncIterableIterator<T>[], keyOf: (value: T) => string): LatestValueChannel<T> {
  const out = new LatestValueChannel<T>(() => {
    for (const input of inputs) void input.return?.();
  }, keyOf);
  let open = inputs.length;
  let failures = 0;
  let firstError: unknown;
  const ended = () => {
    open--;
    if (open === 0) {
      if (failures === inputs.length) out.fail(firstError);
      else out.close();
    }
  };
  const pump = (input: AsyncIterableIterator<T>): void => {
    input.next().then(
      (result) => {
        if (result.done) return ended();
        out.push(result.value);
        pump(input);
      },
      (error: unknown) => {
        if (failures++ === 0) firstError = error;
        ended();
      },
    );
  };
  for (const input of inputs) pump(input);
  if (inputs.length === 0) out.close();
  return out;
}
