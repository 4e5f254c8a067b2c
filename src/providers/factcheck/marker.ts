/**
 * The key of `context` under which the gateway marks every Check batch it creates with a key (an HMAC of
 * the key's scope, `writes/write-scope.ts`). `FactCheckBatch.context` leaves it out.
 */
export const WRITE_MARKER_FIELD = 'batchqlWriteMarker';

/** `context` with the marker put in (the caller's own keys kept). */
export function withMarker(context: unknown, marker: string | undefined): Record<string, unknown> | undefined {
  if (marker === undefined) return context as Record<string, unknown> | undefined;
  return { ...(context as Record<string, unknown> | undefined), [WRITE_MARKER_FIELD]: marker };
}

/** `context` as the caller sent it: the marker left out, and null when nothing else is in it. */
export function withoutMarker(context: Record<string, unknown> | null): Record<string, unknown> | null {
  if (context === null || !(WRITE_MARKER_FIELD in context)) return context;
  const { [WRITE_MARKER_FIELD]: _marker, ...rest } = context;
  return Object.keys(rest).length > 0 ? rest : null;
}
