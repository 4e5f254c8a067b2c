/**
 * The writes this process is running (mutations, on HTTP and on WebSocket), so a shutdown waits for them:
 * a write cut off mid-call leaves its outcome unknown (docs/writes.md, "Shutdown and dead replicas").
 */
export class WritesInFlight {
  private count = 0;
  private waiters: (() => void)[] = [];
  private stopping = false;

  /** A shutdown has begun: writes finish, but skip what they need not do (a submit's read-back). */
  get draining(): boolean {
    return this.stopping;
  }

  drain(): void {
    this.stopping = true;
  }

  /** Counts one write; the returned function ends it (call it once). */
  start(): () => void {
    this.count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    };
  }

  get size(): number {
    return this.count;
  }

  /** Resolves when no write is running, or at `deadline` (epoch ms), whichever is first; true when none is. */
  async idle(deadline: number): Promise<boolean> {
    if (this.count === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.waiters.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    return this.count === 0;
  }
}
