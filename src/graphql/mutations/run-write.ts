import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../../context.js';
import { ErrorCode, GatewayError } from '../../domain/errors.js';
import { parseWithDates } from '../../live/coordinator.js';
import type { Warning } from '../notes.js';
import type { StoredOutcome } from '../../writes/idempotency-store.js';
import { fingerprintOf } from './fingerprint.js';
import type { UserErrorModel } from './user-errors.js';

/** The longest idempotency key accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** What a replay gives back: the first call's payload and the warnings it had. */
interface Recorded {
  payload: unknown;
  warnings: Warning[];
}

/**
 * The one refusal of a write by a caller without the write scope: no upstream call is made. With
 * `AUTH_MODE=none` (`canWrite` undefined) everyone may write.
 */
export function assertMayWrite(ctx: GraphQLContext): void {
  if (ctx.principal.canWrite === false)
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      `writes need the "${ctx.gateway.writes.writeScope}" scope in the token's scope or scp claim (JWT_WRITE_SCOPE)`,
    );
}

/**
 * Runs one mutation field with the gateway's idempotency rule (README, "Safe to retry"), and tells
 * `ctx.gateway.writes.observe` how it ended (`batchql_writes_total`). Without a
 * key, `run` runs. With one, scoped to the client's identity and tenant, the first call runs and its
 * answer (payload and warnings, or an `OUTCOME_UNKNOWN`) is kept for 24 hours; a replay with the same
 * input waits for a first call still in flight and answers its outcome; other input under the key is
 * the user error `IDEMPOTENCY_CONFLICT`. A first call that fails before or without reaching the provider
 * frees the key, so a retry can go through. The store being unreachable refuses the write
 * (`IDEMPOTENCY_STORE_UNAVAILABLE`) rather than risk a double submit.
 */
export async function runWrite<P extends { userErrors: UserErrorModel[] }>(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  args: Record<string, unknown>,
  run: () => Promise<P>,
): Promise<P> {
  const observe = ctx.gateway.writes.observe;
  const how = { replayed: false };
  try {
    const payload = await runKeyed(ctx, info, args, run, how);
    observe?.(info.fieldName, payload.userErrors[0]?.code ?? (how.replayed ? 'replayed' : 'ok'));
    return payload;
  } catch (error) {
    observe?.(info.fieldName, error instanceof GatewayError ? error.code : 'INTERNAL_SERVER_ERROR');
    throw error;
  }
}

/** `runWrite` without the report: sets `how.replayed` when a stored outcome answered. */
async function runKeyed<P extends { userErrors: UserErrorModel[] }>(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  args: Record<string, unknown>,
  run: () => Promise<P>,
  how: { replayed: boolean },
): Promise<P> {
  assertMayWrite(ctx);
  const given = args.idempotencyKey;
  if (given === undefined || given === null) return run();
  const key = String(given);
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
    return refused({
      userErrors: [
        {
          code: ErrorCode.BAD_USER_INPUT,
          message: `idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
          field: ['idempotencyKey'],
        },
      ],
    });
  const store = ctx.gateway.writes.idempotency;
  const scoped = `${ctx.client.key}|${ctx.tenant ?? ''}|${key}`;
  const fingerprint = fingerprintOf(info.fieldName, args);
  const decision = await store.begin(scoped, fingerprint);
  if (decision.kind === 'conflict')
    return refused({
      userErrors: [
        {
          code: ErrorCode.IDEMPOTENCY_CONFLICT,
          message: 'this idempotencyKey was used with other input (or another mutation) in the last 24 hours',
          field: ['idempotencyKey'],
        },
      ],
    });
  if (decision.kind === 'replay') {
    how.replayed = true;
    return replay(ctx, decision.outcome);
  }
  const before = ctx.notes.warnings.length;
  let payload: P;
  try {
    payload = await run();
  } catch (error) {
    const keep = error instanceof GatewayError && error.code === ErrorCode.OUTCOME_UNKNOWN;
    const stored: Promise<void> = keep
      ? store.finish(scoped, fingerprint, { kind: 'error', code: error.code, message: error.message })
      : store.abandon(scoped);
    await stored.catch((e: unknown) => ctx.log.warn({ err: e }, 'idempotency store: could not record a failed write'));
    throw error;
  }
  const recorded: Recorded = { payload, warnings: ctx.notes.warnings.slice(before) };
  // JSON, so the memory and Redis stores keep the same thing and a replay gets Dates back (`parseWithDates`).
  await store
    .finish(scoped, fingerprint, { kind: 'result', value: JSON.stringify(recorded) })
    .catch((e: unknown) =>
      ctx.log.warn({ err: e }, 'idempotency store: the write went through but its key could not be recorded'),
    );
  return payload;
}

/** A payload of user errors only (its other fields null). */
const refused = <P>(payload: { userErrors: UserErrorModel[] }): P => payload as P;

function replay<P>(ctx: GraphQLContext, outcome: StoredOutcome): P {
  if (outcome.kind === 'error') throw new GatewayError(outcome.code as ErrorCode, outcome.message);
  const recorded = parseWithDates(outcome.value as string) as Recorded;
  for (const warning of recorded.warnings) ctx.notes.warnings.push(warning);
  return recorded.payload as P;
}
