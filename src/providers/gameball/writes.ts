import { ErrorCode, GatewayError, invalidInput } from '../../domain/errors.js';
import type { WriteOptions, WriteOutcome, WriteRequest } from '../../domain/writes.js';
import { toWriteError, type WriteRefusal } from '../../upstream/errors.js';
import { idString, obj } from '../../upstream/wire.js';
import type { GameballClient } from './client.js';
import type { GameballSubmit } from './model.js';
import { refineGameballError } from './errors.js';
import { toGameballBatch } from './to-batch.js';
import type { GameballWireError } from './types.js';

/** Items one Gameball batch takes (documented). */
const GAMEBALL_MAX_ITEMS = 1_000;

/**
 * Reads Gameball's flat envelope on a refused write: its payload (3xxx) and duplicate-transaction
 * (9004) codes are the input's fault, reported with the provider's message and code.
 */
export function readGameballRefusal(status: number, body: unknown): WriteRefusal | undefined {
  const e = body as GameballWireError | undefined;
  if (status !== 400 && status !== 422) return undefined;
  const message = typeof e?.message === 'string' ? e.message : 'the input was refused';
  return {
    code: ErrorCode.PROVIDER_REJECTED_INPUT,
    fieldErrors: [
      { field: ['input'], message: typeof e?.code === 'number' ? `${message} (Gameball ${e.code})` : message },
    ],
  };
}

/** Gameball's writes: batch creation, and stop after reading the status (a finished batch is refused, no call). */
export function createGameballWrites(client: GameballClient) {
  const fail = (error: unknown) => toWriteError('GAMEBALL', error, readGameballRefusal, refineGameballError);
  return {
    async write(written: WriteRequest, options: WriteOptions = {}): Promise<WriteOutcome> {
      // The core hands an adapter only the kinds its definition lists (`ProviderDefinition.writes`).
      const request = written as GameballSubmit;
      if (request.kind !== 'GAMEBALL_SUBMIT') throw new TypeError(`GAMEBALL does not serve ${request.kind}`);
      if (request.items.length === 0) throw invalidInput([{ field: ['input'], message: 'give at least one item' }]);
      if (request.items.length > GAMEBALL_MAX_ITEMS)
        throw invalidInput([
          {
            field: ['input'],
            message: `at most ${GAMEBALL_MAX_ITEMS} items per batch (Gameball's limit), got ${request.items.length}`,
          },
        ]);
      try {
        const created = obj<{ jobId: number }>(
          await client.createBatch(request.operation, request.items, options.signal),
          '$',
        );
        // Create answers a numeric jobId; status and stop take it as a string (docs/providers.md).
        return { kind: 'batch', providerBatchId: idString(created, 'jobId') };
      } catch (error) {
        throw fail(error);
      }
    },
    /**
     * What Gameball's stop does to a finished batch is not documented, so the status is read first
     * and a finished batch is refused here with `CANNOT_CANCEL`, without calling stop.
     */
    async cancel(id: string, options: WriteOptions = {}): Promise<void> {
      let finished: boolean;
      try {
        finished = toGameballBatch(await client.getBatchStatus(id, options.signal), id).isTerminal;
      } catch (error) {
        throw fail(error);
      }
      if (finished)
        throw new GatewayError(ErrorCode.CANNOT_CANCEL, 'GAMEBALL cannot stop this batch: it has finished already', {
          provider: 'GAMEBALL',
        });
      try {
        await client.stopBatch(id, options.signal);
      } catch (error) {
        throw fail(error);
      }
    },
  };
}
