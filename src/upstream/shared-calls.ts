/** One call in flight, shared by every waiter that asked for the same key. */
interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
  settled: boolean;
}

/**
 * Identical concurrent calls share one run, reference-counted: the run goes on while anyone
 * still waits for it, and is aborted (its signal fires) when the last waiter's own signal
 * aborts. A waiter without a signal stays until the run settles. A waiter that aborts is
 * released at once with its signal's reason, whatever the shared run is doing.
 */
export class SharedCalls<T> {
  private readonly flights = new Map<string, Flight<T>>();

  /**
   * Joins the run for `key`, starting it with `start` when there is none. `start` gets the run's
   * signal and its controller: a run may abort it itself (its deadline), so one signal serves both.
   */
  run(
    key: string,
    signal: AbortSignal | undefined,
    start: (signal: AbortSignal, controller: AbortController) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let flight = this.flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const created: Flight<T> = {
        promise: undefined as unknown as Promise<T>,
        controller,
        waiters: 0,
        settled: false,
      };
      created.promise = start(controller.signal, controller);
      const done = () => {
        created.settled = true;
        if (this.flights.get(key) === created) this.flights.delete(key);
      };
      created.promise.then(done, done);
      this.flights.set(key, created);
      flight = created;
    }
    const f = flight;
    f.waiters++;
    if (!signal) return f.promise;
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = (): boolean => {
        if (left) return false;
        left = true;
        signal.removeEventListener('abort', onAbort);
        f.waiters--;
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        if (f.waiters === 0 && !f.settled) {
          if (this.flights.get(key) === f) this.flights.delete(key);
          f.controller.abort(signal.reason);
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }

  /** Runs in flight (for tests). */
  get size(): number {
    return this.flights.size;
  }
}
