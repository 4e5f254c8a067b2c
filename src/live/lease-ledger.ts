import type { Coordinator } from './coordinator.js';

/** A coordinator that knows which poll leases this process holds, so a shutdown can hand them all back at once. */
export interface LeaseLedger extends Coordinator {
  /** Leases this process holds now. */
  held(): number;
  /**
   * Takes no lease any more (every `acquire` answers false, so the poll loops stop) and releases
   * every lease held, once the lease calls in flight have settled. Resolves with how many were
   * released from then on, by this call or by the poll loops themselves (each counted once).
   */
  releaseAll(): Promise<number>;
}

/**
 * Wraps a coordinator with a ledger of the leases it granted this process. Without it a
 * replica that exits leaves its leases to expire, and its batches go unpolled for up to a
 * lease period; with it, another replica takes them over at its next retry (a fifth of a lease).
 */
export function withLeaseLedger(inner: Coordinator): LeaseLedger {
  const held = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;
  let released = 0;
  const tracked = <T>(call: Promise<T>): Promise<T> => {
    inFlight.add(call);
    const forget = () => inFlight.delete(call);
    call.then(forget, forget);
    return call;
  };
  const release = async (key: string): Promise<void> => {
    if (!held.delete(key)) {
      // Not a lease of ours (a local lease while Redis was away, or one already handed back at shutdown).
      if (!closing) await inner.release(key);
      return;
    }
    await inner.release(key);
    if (closing) released++;
  };
  return {
    get instanceId() {
      return inner.instanceId;
    },
    get shared() {
      return inner.shared;
    },
    get leaseMs() {
      return inner.leaseMs;
    },
    listen: (key, onEvent) => inner.listen(key, onEvent),
    publish: (key, event) => inner.publish(key, event),
    lastEvent: (key) => inner.lastEvent(key),
    keepAlive: (key) => inner.keepAlive(key),
    announce: (unit, members, ttlMs) => inner.announce(unit, members, ttlMs),
    withdraw: (unit, members) => inner.withdraw(unit, members),
    members: (unit) => inner.members(unit),
    broadcast: (message) => inner.broadcast(message),
    onBroadcast: (listener) => inner.onBroadcast(listener),
    healthy: () => inner.healthy(),
    close: () => inner.close(),
    acquire(key) {
      if (closing) return Promise.resolve(false);
      return tracked(
        inner.acquire(key).then((ok) => {
          if (ok) held.add(key);
          else held.delete(key);
          return ok;
        }),
      );
    },
    release: (key) => tracked(release(key)),
    held: () => held.size,
    async releaseAll() {
      closing = true;
      // Lease calls in flight, and releases the poll loops start meanwhile (their streams are ending),
      // settle before the count is read, so each lease handed back is counted whoever hands it back.
      const settle = async () => {
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      };
      await settle();
      await Promise.allSettled([...held].map((key) => tracked(release(key))));
      await settle();
      return released;
    },
  };
}
