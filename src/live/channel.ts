/**
 * A single-consumer async stream that keeps only the newest undelivered value per key (one
 * key unless `keyOf` is given): a slow consumer skips intermediate states instead of buffering
 * them, so its memory cost is bounded by the number of keys however fast the producer is.
 * `close()` ends it after the pending values; `fail()` ends it with an error after them.
 */
export class LatestValueChannel<T> implements AsyncIterableIterator<T> {
  private readonly pending = new Map<string, T>();
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  private done = false;
  private error: unknown;
  private returned = false;
  /** Values replaced before delivery (for tests and metrics). */
  dropped = 0;

  constructor(
    private readonly onReturn: () => void = () => {},
    private readonly keyOf: (value: T) => string = () => '',
  ) {}

  /** Offers a value; replaces an undelivered one of the same key. Ignored after close. */
  push(value: T): void {
    if (this.done) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value, done: false });
      return;
    }
    const key = this.keyOf(value);
    if (this.pending.has(key)) {
      this.dropped++;
      this.pending.delete(key);
    }
    this.pending.set(key, value);
  }

  /** Ends the stream once the pending values are delivered. */
  close(): void {
    this.finish(undefined);
  }

  /** Ends the stream with `error` once the pending values are delivered. */
  fail(error: unknown): void {
    this.finish(error ?? new Error('stream failed'));
  }

  /** How many values are held: the memory a slow consumer costs. */
  get buffered(): number {
    return this.pending.size;
  }

  get closed(): boolean {
    return this.done;
  }

  next(): Promise<IteratorResult<T>> {
    const first = this.pending.entries().next();
    if (!first.done) {
      this.pending.delete(first.value[0]);
      return Promise.resolve({ value: first.value[1], done: false });
    }
    if (this.done) {
      if (this.error !== undefined) {
        const error = this.error;
        this.error = undefined;
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.pending.clear();
    this.error = undefined;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
    if (!this.returned) {
      this.returned = true;
      this.onReturn();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private finish(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    if (this.waiting && this.pending.size === 0) {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (error === undefined) waiting.resolve({ value: undefined, done: true });
      else {
        this.error = undefined;
        waiting.reject(error);
      }
    }
  }
}

/**
 * Merges several streams into one latest-value-per-key stream; it ends when all inputs end,
 * with the first error only when every input failed. Returning it returns every input.
 */
export function mergeLatest<T>(inputs: AsyncIterableIterator<T>[], keyOf: (value: T) => string): LatestValueChannel<T> {
  const out = new LatestValueChannel<T>(() => {
    for (const input of inputs) void input.return?.();
  }, keyOf);
  let open = inputs.length;
  const errors: unknown[] = [];
  for (const input of inputs) {
    void (async () => {
      try {
        for await (const value of { [Symbol.asyncIterator]: () => input }) out.push(value);
      } catch (error) {
        errors.push(error);
      } finally {
        open--;
        if (open === 0) {
          if (errors.length === inputs.length) out.fail(errors[0]);
          else out.close();
        }
      }
    })();
  }
  if (inputs.length === 0) out.close();
  return out;
}
