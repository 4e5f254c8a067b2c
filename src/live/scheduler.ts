/**
 * Spends one provider's polling share of its request budget fairly over every unit of polling
 * work this process runs for it: a watched batch read on its own, or a bulk refresh of many
 * through the list. Each unit says how many upstream calls it makes per interval of its own
 * policy; when together they would need more than the budget allows, every interval stretches
 * by the same factor, so each watched batch gets the same share and `nextRefreshAt` says so.
 * A watched batch with 500 subscribers is one unit, as is one with 1.
 */
export class PollScheduler {
  private readonly demand = new Map<object, number>();

  /** `rate`: background calls per ms the provider's budget allows (Infinity: no limit). */
  constructor(private readonly rate: () => number) {}

  /**
   * Records that `unit` makes `calls` upstream calls every `baseMs` (its policy's interval), and
   * returns how long it should actually wait: `baseMs`, stretched when the budget is short.
   */
  plan(unit: object, calls: number, baseMs: number): number {
    if (calls > 0) this.demand.set(unit, calls / Math.max(1, baseMs));
    else this.demand.delete(unit);
    return Math.max(1, Math.round(baseMs * this.stretch()));
  }

  /** The unit stopped polling. */
  forget(unit: object): void {
    this.demand.delete(unit);
  }

  /** How much longer than their policy every interval is now (1: the budget covers every unit). */
  stretch(): number {
    const rate = this.rate();
    if (!Number.isFinite(rate) || rate <= 0) return 1;
    let calls = 0;
    for (const perMs of this.demand.values()) calls += perMs;
    return Math.max(1, calls / rate);
  }

  /** Units currently planned (metrics, tests). */
  get units(): number {
    return this.demand.size;
  }
}
