import { ErrorCode, GatewayError } from '../domain/errors.js';
import { UpstreamHttpError, mayHaveBeenSent } from './types.js';
import { WireShapeError } from './wire.js';

/**
 * The three classes of answer a write can get, and what each does to its idempotency key (docs/writes.md,
 * "Three classes of answer"). This is the one place that decides; `toWriteError` and `runWrite` ask it.
 *
 * - definite refusal (`refused`): a 4xx the provider chose (400, 402, 404, 409, 413, 422, any other 4xx):
 *   the key is recorded, and a replay answers the same refusal;
 * - definite refusal that a retry may pass (`refused-retryable`): 401, 403, 429: the key is freed;
 * - ambiguous: any 5xx, 408; a 2xx that cannot be read (unreadable, oversized, mis-shaped: no id); a reset or
 *   the deadline after the request was handed to the connection: the key is kept as `OUTCOME_UNKNOWN`;
 * - sent nothing (`sent-nothing`): an open circuit, a full bulkhead, no request budget, a refused connection, a
 *   request refused before the socket, a deadline passed while waiting to send: the key is freed.
 */
export type WriteAnswerClass = 'refused' | 'refused-retryable' | 'ambiguous' | 'sent-nothing';

/** What a class does to the key. */
export type KeyAction = 'record' | 'keep-unknown' | 'free';

const KEY_ACTION: Readonly<Record<WriteAnswerClass, KeyAction>> = {
  refused: 'record',
  'refused-retryable': 'free',
  ambiguous: 'keep-unknown',
  'sent-nothing': 'free',
};

/** The class of an answer with an HTTP status (a 2xx only gets here when it could not be read). */
export function classOfStatus(status: number): WriteAnswerClass {
  if (status === 401 || status === 403 || status === 429) return 'refused-retryable';
  if (status === 408 || status >= 500) return 'ambiguous';
  if (status >= 400) return 'refused';
  // A 2xx (or a stray 1xx/3xx) whose body could not be used: the provider may well have acted.
  return 'ambiguous';
}

/**
 * The class of what a write's upstream call threw, before any mapping: an HTTP answer by its status;
 * a body that does not match the documented shape (the id unreadable) is ambiguous; a transport failure
 * or a deadline is ambiguous once the request was handed to the connection (`mayHaveBeenSent`), else
 * nothing was sent.
 */
export function classOfUpstreamFailure(error: unknown): WriteAnswerClass {
  if (error instanceof UpstreamHttpError) return classOfStatus(error.status);
  if (error instanceof WireShapeError) return 'ambiguous';
  if (error instanceof GatewayError && error.upstreamStatus !== undefined) return classOfStatus(error.upstreamStatus);
  if (mayHaveBeenSent(error)) return 'ambiguous';
  return 'sent-nothing';
}

/**
 * What a failed write does to its key, from the `GatewayError` the adapter threw (`toWriteError` has
 * turned every ambiguous answer into `OUTCOME_UNKNOWN`): an error without an upstream status was
 * decided before anything was sent (the input's limits, the scope, the breaker, the budget) and takes no key.
 */
export function keyActionOf(error: unknown): KeyAction {
  if (!(error instanceof GatewayError)) return 'free';
  if (error.code === ErrorCode.OUTCOME_UNKNOWN) return 'keep-unknown';
  if (error.upstreamStatus === undefined) return 'free';
  return KEY_ACTION[classOfStatus(error.upstreamStatus)];
}
