import { GatewayError, USER_ERROR_CODES } from '../../domain/errors.js';
import type { UserError, UserErrorCode } from '../__generated__/resolvers-types.js';

/** A `UserError` of a payload. */
export type UserErrorModel = Omit<UserError, '__typename'>;

/** The user errors a refusal becomes: one per field message, or one for the whole input. */
export function userErrorsOf(error: GatewayError): UserErrorModel[] {
  // Only the codes of USER_ERROR_CODES get here, and those are the schema's UserErrorCode values.
  const code = error.code as UserErrorCode;
  if (error.fieldErrors?.length) return error.fieldErrors.map((e) => ({ code, message: e.message, field: e.field }));
  return [{ code, message: error.message, field: null }];
}

/** True for a refusal the caller can act on: it goes into the payload, not into `errors`. */
export function isUserError(error: unknown): error is GatewayError {
  return error instanceof GatewayError && USER_ERROR_CODES.has(error.code);
}

/** A payload: the write's fields, or none of them, and its user errors. */
export type Payload<P> = Partial<P> & { userErrors: UserErrorModel[] };

/**
 * Runs a write's body into its payload (no user errors); a refusal the caller can act on becomes the
 * payload's `userErrors` (every other field null), anything else is thrown on as a GraphQL error.
 */
export async function asPayload<P extends object>(run: () => Promise<P>): Promise<Payload<P>> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (error) {
    if (isUserError(error)) return { userErrors: userErrorsOf(error) } as Payload<P>;
    throw error;
  }
}
