import { describe, expect, it } from 'vitest';
import { createMemoryCoordinator, type Coordinator } from '../../src/live/coordinator.js';
import { withLeaseLedger } from '../../src/live/lease-ledger.js';

/** A coordinator recording lease calls; `acquire` answers from `grant`. */
function recording(grant: (key: string) => Promise<boolean>) {
  const calls: string[] = [];
  const inner: Coordinator = {
    ...createMemoryCoordinator('test'),
    leaseMs: 1_000,
    acquire: async (key) => (calls.push(`acquire ${key}`), grant(key)),
    release: async (key) => void calls.push(`release ${key}`),
  };
  return { inner, calls };
}

describe('withLeaseLedger', () => {
  it('releases every lease held at shutdown, counting each once, then takes none', async () => {
    const { inner, calls } = recording(async () => true);
    const ledger = withLeaseLedger(inner);
    expect(await ledger.acquire('a')).toBe(true);
    expect(await ledger.acquire('b')).toBe(true);
    await ledger.acquire('a'); // a renewal
    expect(ledger.held()).toBe(2);
    // A poll loop hands one back itself while the shutdown runs: counted once, released once.
    const [released] = await Promise.all([ledger.releaseAll(), ledger.release('a')]);
    expect(released).toBe(2);
    expect(calls.filter((c) => c.startsWith('release')).sort()).toEqual(['release a', 'release b']);
    expect(ledger.held()).toBe(0);
    expect(await ledger.acquire('c')).toBe(false);
    expect(calls).not.toContain('acquire c');
  });

  it('waits for an acquire in flight, and releases what it granted', async () => {
    let grant!: (ok: boolean) => void;
    const { inner, calls } = recording(() => new Promise((resolve) => (grant = resolve)));
    const ledger = withLeaseLedger(inner);
    const pending = ledger.acquire('late');
    const all = ledger.releaseAll();
    grant(true);
    expect(await pending).toBe(true);
    expect(await all).toBe(1);
    expect(calls).toContain('release late');
  });

  it('forgets a lease another replica took, and passes releases of leases it never granted through', async () => {
    let ok = true;
    const { inner, calls } = recording(async () => ok);
    const ledger = withLeaseLedger(inner);
    await ledger.acquire('k');
    ok = false;
    expect(await ledger.acquire('k')).toBe(false);
    expect(ledger.held()).toBe(0);
    await ledger.release('local');
    expect(calls).toContain('release local');
    expect(await ledger.releaseAll()).toBe(0);
  });

  it('counts a lease a poll loop hands back itself just after the shutdown began', async () => {
    const inner: Coordinator = {
      ...createMemoryCoordinator('test'),
      leaseMs: 1_000,
      acquire: async () => true,
      // A Redis round trip: the release settles a few ms later.
      release: () => new Promise<void>((resolve) => setTimeout(resolve, 5)),
    };
    const ledger = withLeaseLedger(inner);
    await ledger.acquire('bulk|FACT_CHECK|default|');
    const all = ledger.releaseAll();
    // The loop's own release starts while releaseAll runs (its stream was just ended).
    const own = ledger.release('bulk|FACT_CHECK|default|');
    expect(await all).toBe(1);
    await own;
  });
});
