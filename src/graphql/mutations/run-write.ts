import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../context.js';
import { ErrorCode, GatewayError } from '../../domain/errors.js';
import type { FoundWrite } from '../../domain/writes.js';
import { parseWithDates } from '../../live/coordinator.js';
import { keyActionOf } from '../../upstream/write-answers.js';
import type { Warning } from '../notes.js';
import { keyLimitError, type StoredOutcome, type WriteAttempt } from '../../writes/idempotency-store.js';
import { writeMarkerOf, writeScopeOf } from '../../writes/write-scope.js';
import { fingerprintOf } from './fingerprint.js';
import { isUserError, userErrorsOf, type Payload, type UserErrorModel } from './user-errors.js';
import { audit } from './audit.js';

/** The longest idempotency key accepted. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** How far before an attempt's start a retry looks for its batch (clocks of the gateway and provider differ). */
const RECONCILE_MARGIN_MS = 60_000;

/** What a replay gives back: the first call's payload and the warnings it had. */
interface Recorded {
  payload: unknown;
  warnings: Warning[];
}

/** A write as `runWrite` runs it: how to send it, and where its provider keeps markers, how to find it again. */
export interface KeyedWrite<F> {
  /** Sends the write, marked with `marker` when it has a key; answers the payload's fields or throws. */
  send(marker: string | undefined): Promise<F>;
  /** Where the provider keeps markers: looks for the batch an earlier send with `marker` created. */
  finder?(): ((marker: string, since: Date) => Promise<F | Exclude<FoundWrite, { kind: 'found' }>>) | undefined;
}

/**
 * `LEDGER_AUDIT_REQUIRED`: a write whose audit entry could not be stored is refused before anything is sent
 * (`LEDGER_UNAVAILABLE`), for deployments that must never lose one.
 */
async function assertAuditable(ctx: GraphQLContext): Promise<void> {
  const services = ctx.gateway.ledger;
  if (!services?.auditRequired || (await services.ledger.canStore())) return;
  throw new GatewayError(
    ErrorCode.LEDGER_UNAVAILABLE,
    "the ledger cannot store this write's audit entry now, and LEDGER_AUDIT_REQUIRED is set: nothing was sent; " +
      'retry later',
  );
}

/**
 * The one refusal of a write by a caller without the write scope: no upstream call is made. With
 * `AUTH_MODE=none` (`canWrite` undefined) everyone may write.
 */
function assertMayWrite(ctx: GraphQLContext): void {
  if (ctx.principal.canWrite === false)
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      `writes need the "${ctx.gateway.writes.writeScope}" scope in the token's scope or scp claim (JWT_WRITE_SCOPE)`,
    );
}

/**
 * Runs one mutation field with the gateway's idempotency rule (docs/writes.md, "Safe to retry"), and tells
 * `ctx.gateway.writes.observe` how it ended (`batchql_writes_total`). A refusal the caller can act on becomes
 * the payload's `userErrors`. Without a key, the write is sent. With one, scoped to the client's identity and
 * tenant (`writeScopeOf`), the first call sends it and its answer is kept for 24 hours as its class says
 * (`write-answers.ts`): recorded, kept as unknown, or freed. A replay with the same input waits for a first
 * call still in flight and answers its outcome; other input under the key is `IDEMPOTENCY_CONFLICT`. A replay
 * of an unknown outcome looks for the batch where the provider keeps the write's marker, and sends the write
 * again only when it is surely absent; elsewhere it answers `OUTCOME_UNKNOWN` and never writes twice.
 */
export async function runWrite<F extends object>(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  args: Record<string, unknown>,
  write: KeyedWrite<F>,
): Promise<Payload<F>> {
  const { observe, inFlight } = ctx.gateway.writes;
  const how = { outcome: 'ok' };
  const done = inFlight?.start();
  try {
    await assertAuditable(ctx);
    const payload = await runKeyed(ctx, info, args, write, how);
    audit(ctx, info, args, { payload, how: how.outcome });
    // Must never lose one: the entry is written before the answer goes out.
    if (ctx.gateway.ledger?.auditRequired) await ctx.gateway.ledger.ledger.flushNow(true);
    observe?.(info.fieldName, payload.userErrors[0]?.code ?? how.outcome);
    // A refusal the client can act on is its error, not the gateway's: info, by its own code.
    if (payload.userErrors.length > 0)
      ctx.log.info(
        { mutation: info.fieldName, userErrorCodes: [...new Set(payload.userErrors.map((e) => e.code))] },
        'write refused: user error',
      );
    return payload;
  } catch (error) {
    audit(ctx, info, args, { error });
    observe?.(info.fieldName, error instanceof GatewayError ? error.code : 'INTERNAL_SERVER_ERROR');
    throw error;
  } finally {
    done?.();
  }
}

/** Sends a write with no key: a refusal the caller can act on is its payload's user errors. */
async function unkeyed<F extends object>(send: () => Promise<F>): Promise<Payload<F>> {
  try {
    return { ...(await send()), userErrors: [] };
  } catch (error) {
    if (isUserError(error)) return refused<F>(userErrorsOf(error));
    throw error;
  }
}

/** `runWrite` without the report: sets `how.outcome` when a stored outcome answered or a retry found its batch. */
async function runKeyed<F extends object>(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  args: Record<string, unknown>,
  write: KeyedWrite<F>,
  how: { outcome: string },
): Promise<Payload<F>> {
  assertMayWrite(ctx);
  const given = args.idempotencyKey;
  if (given === undefined || given === null) return unkeyed(() => write.send(undefined));
  const key = String(given);
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
    return refused<F>([
      {
        code: ErrorCode.BAD_USER_INPUT,
        message: `idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
        field: ['idempotencyKey'],
      },
    ]);
  const { idempotency: store, attemptWindowMs } = ctx.gateway.writes;
  const client = ctx.client.key;
  const scope = writeScopeOf(client, ctx.tenant, key);
  const fingerprint = fingerprintOf(info.fieldName, args);
  const attemptFrom = (now: number): WriteAttempt => ({ since: now, deadlineAt: now + attemptWindowMs });
  // Before the key is taken: a store that cannot give the secret refuses the write with nothing held.
  const marker = await markerOf(ctx, scope);
  const first = attemptFrom(Date.now());
  const decision = await store.begin(client, scope, fingerprint, first);
  if (decision.kind === 'conflict')
    return refused<F>([
      {
        code: ErrorCode.IDEMPOTENCY_CONFLICT,
        message: 'this idempotencyKey was used with other input (or another mutation) in the last 24 hours',
        field: ['idempotencyKey'],
      },
    ]);
  if (decision.kind === 'limit') throw keyLimitError(decision.cap);
  if (decision.kind === 'replay') {
    how.outcome = 'replayed';
    return replay<F>(ctx, decision.outcome);
  }
  const key$ = { client, scope, fingerprint, marker };
  if (decision.kind === 'run') return sendKeyed(ctx, write, key$, first);

  // The outcome of an earlier call is unknown, and this call holds the key until it says what it found.
  const earlier = decision.attempt;
  const keepUnknown = async (error: GatewayError): Promise<never> => {
    await store.unknown(client, scope, fingerprint, earlier).catch((e: unknown) => logStoreFailure(ctx, e));
    throw error;
  };
  let find: ReturnType<NonNullable<KeyedWrite<F>['finder']>>;
  try {
    find = write.finder?.();
  } catch {
    find = undefined;
  }
  if (!find) return keepUnknown(unknownOutcome('its provider keeps nothing the gateway can look for', 'look'));
  const wait = earlier.deadlineAt - Date.now();
  if (wait > 0)
    return keepUnknown(
      unknownOutcome(
        `the first attempt may still be under way until ${new Date(earlier.deadlineAt).toISOString()}`,
        'retry after',
        wait,
      ),
    );
  let found: Awaited<ReturnType<NonNullable<typeof find>>>;
  try {
    found = await find(marker, new Date(earlier.since - RECONCILE_MARGIN_MS));
  } catch (error) {
    return keepUnknown(
      unknownOutcome(
        `looking for the batch failed (${error instanceof GatewayError ? error.code : 'error'})`,
        'look',
        undefined,
        error,
      ),
    );
  }
  if ('kind' in found && (found.kind === 'absent' || found.kind === 'unknown')) {
    if (found.kind === 'unknown') return keepUnknown(unknownOutcome(found.reason, 'look'));
    // Surely absent: the write goes out again, under the same key.
    const again = attemptFrom(Date.now());
    await store.resend(client, scope, fingerprint, again);
    how.outcome = 'resent';
    return sendKeyed(ctx, write, key$, again);
  }
  how.outcome = 'reconciled';
  const payload = { ...(found as F), userErrors: [] } as Payload<F>;
  await store.finish(client, scope, fingerprint, recordOf(payload, [])).catch((e: unknown) => logStoreFailure(ctx, e));
  return payload;
}

/**
 * Sends a keyed write and settles its key by the class of its answer (`keyActionOf`): a payload or a
 * provider's refusal is recorded, an ambiguous answer is kept as unknown, anything decided before sending
 * (the input's limits, the breaker, the budget) or a refusal a retry may pass (401, 403, 429) frees the key.
 */
async function sendKeyed<F extends object>(
  ctx: GraphQLContext,
  write: KeyedWrite<F>,
  key: { client: string; scope: string; fingerprint: string; marker: string },
  attempt: WriteAttempt,
): Promise<Payload<F>> {
  const store = ctx.gateway.writes.idempotency;
  const before = ctx.notes.warnings.length;
  const settle = (outcome: StoredOutcome | 'unknown' | 'free') =>
    (outcome === 'free'
      ? store.abandon(key.client, key.scope)
      : outcome === 'unknown'
        ? store.unknown(key.client, key.scope, key.fingerprint, attempt)
        : store.finish(key.client, key.scope, key.fingerprint, outcome)
    ).catch((e: unknown) => logStoreFailure(ctx, e));
  let fields: F;
  try {
    fields = await write.send(key.marker);
  } catch (error) {
    const action = keyActionOf(error);
    if (isUserError(error)) {
      const payload = refused<F>(userErrorsOf(error));
      await settle(action === 'record' ? recordOf(payload, ctx.notes.warnings.slice(before)) : 'free');
      return payload;
    }
    await settle(
      action === 'keep-unknown'
        ? 'unknown'
        : action === 'record' && error instanceof GatewayError
          ? { kind: 'error', code: error.code, message: error.message }
          : 'free',
    );
    throw error;
  }
  const payload = { ...fields, userErrors: [] } as Payload<F>;
  await settle(recordOf(payload, ctx.notes.warnings.slice(before)));
  return payload;
}

/** The marker of a keyed write (its scope under the store's secret). */
async function markerOf(ctx: GraphQLContext, scope: string): Promise<string> {
  return writeMarkerOf(await ctx.gateway.writes.idempotency.markerSecret(), scope);
}

/** A payload as stored: JSON, so memory and Redis keep the same thing and a replay gets Dates back. */
const recordOf = (payload: unknown, warnings: Warning[]): StoredOutcome => ({
  kind: 'result',
  value: JSON.stringify({ payload, warnings } satisfies Recorded),
});

function logStoreFailure(ctx: GraphQLContext, error: unknown): void {
  ctx.log.warn({ err: error }, 'idempotency store: could not record how a write ended');
}

/** `OUTCOME_UNKNOWN` for a replay of a write whose outcome is not known, with what to do. */
function unknownOutcome(why: string, advice: 'look' | 'retry after', waitMs?: number, cause?: unknown): GatewayError {
  const what =
    advice === 'look'
      ? 'look for the batch before sending it again with a new key (docs/writes.md, "When the outcome is unknown")'
      : 'retry with the same key after that, and the gateway looks for the batch before writing again';
  return new GatewayError(
    ErrorCode.OUTCOME_UNKNOWN,
    `an earlier call with this idempotencyKey may or may not have reached the provider: ${why}; ${what}`,
    { ...(waitMs !== undefined ? { retryAfterMs: waitMs } : {}), ...(cause !== undefined ? { cause } : {}) },
  );
}

/** A payload of user errors only (its other fields null). */
const refused = <F>(userErrors: UserErrorModel[]): Payload<F> => ({ userErrors }) as unknown as Payload<F>;

function replay<F>(ctx: GraphQLContext, outcome: StoredOutcome): Payload<F> {
  if (outcome.kind === 'error') throw new GatewayError(outcome.code as ErrorCode, outcome.message);
  const recorded = parseWithDates(outcome.value as string) as Recorded;
  for (const warning of recorded.warnings) ctx.notes.warnings.push(warning);
  return recorded.payload as Payload<F>;
}
