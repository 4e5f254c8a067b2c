import { beforeAll, beforeEach, afterAll, describe, expect, it } from 'vitest';
import type { WriteRequest } from '../../src/domain/writes.js';
import type { BatchProvider } from '../../src/domain/provider.js';
import { GatewayError } from '../../src/domain/errors.js';
import type { Simulator, SimulatorContract } from '../../src/dev/simulators/index.js';

/**
 * One attempt per call and no breaker: this suite checks how each single answer maps
 * (test/resilience covers the policy).
 */
export const LIMITS = {
  deadlineMs: 400,
  connectTimeoutMs: 400,
  headersTimeoutMs: 1_000,
  bodyTimeoutMs: 1_000,
  connections: 4,
  policy: { retries: 0, breakerThreshold: 10_000 },
};

/** A provider adapter and the simulator it runs against. */
export interface ContractCase {
  name: string;
  sim: () => Simulator;
  adapter: (wrongCredentials?: boolean) => BatchProvider;
  /** Simulator state label → the unified statuses its batches may map to (its simulator's `contract`). */
  states: SimulatorContract['states'];
  missingId: string;
  /** One valid write of this provider; none when it has no writes. */
  write?: WriteRequest;
}

async function codeOf(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => expect.unreachable('expected a failure'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** The contract every provider adapter meets on its simulator (status words, faults, auth, ids). */
export function describeProviderContract(c: ContractCase): void {
  describe(`${c.name} adapter on its simulator`, () => {
    let adapter: BatchProvider;
    let sim: Simulator;
    const anyId = () => Object.values(sim.control.idsByState()).flat()[0]!;
    beforeAll(() => {
      adapter = c.adapter();
      sim = c.sim();
    });
    beforeEach(() => sim.control.clearFaults());
    afterAll(() => adapter.close());

    it('gets a batch with its id, provider and progress', async () => {
      const id = anyId();
      const batch = await adapter.get(id);
      expect(batch.provider).toBe(c.name);
      expect(batch.providerBatchId).toBe(id);
      expect(batch.progress.processed).toBeGreaterThanOrEqual(0);
      expect(adapter.checkId(id)).toBeNull();
    });

    it('maps every status word the simulator produces', async () => {
      const byState = sim.control.idsByState();
      for (const [state, expected = []] of Object.entries(c.states)) {
        const ids = byState[state] ?? [];
        expect(ids.length, `simulator has ${state} batches`).toBeGreaterThan(0);
        for (const id of ids.slice(0, 3)) {
          const batch = await adapter.get(id);
          expect(expected, `${state} ${id} (${batch.providerStatus})`).toContain(batch.status);
        }
      }
    });

    it('answers NOT_FOUND for an unknown batch', async () => {
      const error = await codeOf(adapter.get(c.missingId));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.provider).toBe(c.name);
    });

    it('maps an unknown status word to UNKNOWN and keeps the raw word', async () => {
      sim.control.setFault({ kind: 'unknownStatus', status: 'quantum_superposition' });
      const batch = await adapter.get(anyId());
      expect(batch.status).toBe('UNKNOWN');
      expect(batch.providerStatus).toBe('quantum_superposition');
    });

    it.each([
      [{ kind: 'http5xx', status: 500 }, 'PROVIDER_UNAVAILABLE'],
      [{ kind: 'http5xx', status: 503 }, 'PROVIDER_UNAVAILABLE'],
      [{ kind: 'http5xx', status: 504 }, 'PROVIDER_TIMEOUT'],
      [{ kind: 'rateLimit', retryAfterSeconds: 7 }, 'PROVIDER_RATE_LIMITED'],
      [{ kind: 'rateLimit' }, 'PROVIDER_RATE_LIMITED'],
      [{ kind: 'hang' }, 'PROVIDER_TIMEOUT'],
      [{ kind: 'reset' }, 'PROVIDER_UNAVAILABLE'],
      [{ kind: 'malformedJson' }, 'PROVIDER_BAD_RESPONSE'],
    ] as const)('maps fault %j to %s', async (fault, code) => {
      sim.control.setFault(fault);
      const started = Date.now();
      const error = await codeOf(adapter.get(anyId()));
      expect(error.code).toBe(code);
      expect(error.provider).toBe(c.name);
      expect(Date.now() - started).toBeLessThan(LIMITS.deadlineMs + 1_500);
      if (fault.kind === 'rateLimit') expect(error.retryAfterMs).toBe('retryAfterSeconds' in fault ? 7_000 : undefined);
      // Nothing from the upstream body reaches the message.
      expect(error.message).not.toMatch(/SIM-SECRET|127\.0\.0\.1|http:/);
    });

    it('recovers once the fault is cleared', async () => {
      sim.control.setFault({ kind: 'reset' });
      await codeOf(adapter.get(anyId()));
      sim.control.clearFaults();
      await expect(adapter.get(anyId())).resolves.toMatchObject({ provider: c.name });
    });

    it('answers PROVIDER_AUTH_FAILED when the credentials are wrong', async () => {
      const wrong = c.adapter(true);
      try {
        const error = await codeOf(wrong.get(anyId()));
        expect(error.code).toBe('PROVIDER_AUTH_FAILED');
        expect(error.provider).toBe(c.name);
      } finally {
        await wrong.close();
      }
    });

    it('cancels exactly when it says it can, refusing a finished batch with CANNOT_CANCEL', async () => {
      expect(typeof adapter.cancel === 'function').toBe(adapter.capabilities.canCancel);
      if (!adapter.cancel) return;
      const finished = sim.control.idsByState().done![0]!;
      const error = await codeOf(adapter.cancel(finished));
      expect(error.code).toBe('CANNOT_CANCEL');
      expect(error.provider).toBe(c.name);
    });

    it.runIf(c.write !== undefined)(
      'makes one attempt of a write: a 503 is not retried, and its outcome is unknown',
      async () => {
        sim.control.resetCounters();
        sim.control.setFault({ kind: 'http5xx', status: 503 });
        const error = await codeOf(adapter.write!(c.write!));
        // The provider may have stored the write before failing: never a plain failure
        // (docs/writes.md, "Three classes of answer").
        expect(error.code).toBe('OUTCOME_UNKNOWN');
        expect(sim.control.totalRequests()).toBe(1);
      },
    );

    it("refuses ids that cannot be this provider's before calling upstream", () => {
      expect(adapter.checkId('../../etc/passwd')).not.toBeNull();
      expect(adapter.checkId('')).not.toBeNull();
    });
  });
}
