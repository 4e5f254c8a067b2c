/** Sleeps `ms`, returning early (without throwing) when `signal` aborts, or `wake` does (a nudge). */
export function sleep(ms: number, signal: AbortSignal, wake?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || wake?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      wake?.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
    wake?.addEventListener('abort', done, { once: true });
  });
}
