import { SignJWT } from 'jose';

/** The HS256 setup the JWT-mode test gateways run with. */
export const TEST_JWT_SECRET = 'test-secret-of-at-least-32-characters!!';
export const JWT_TEST_ENV = {
  AUTH_MODE: 'jwt',
  JWT_SECRET: TEST_JWT_SECRET,
  JWT_ISSUER: 'https://idp.example',
  JWT_AUDIENCE: 'batchql',
};

/**
 * An `Authorization` value with a token for `JWT_TEST_ENV`: the tenant claim, a subject, an
 * expiry (`10m` by default, or epoch seconds) and, when given, scopes.
 */
export async function bearer(
  o: {
    tenant?: string;
    subject?: string;
    expires?: string | number;
    /** OAuth 2 `scope` (space-separated). */
    scope?: string;
    /** `scp`, a list of scopes. */
    scp?: string[];
  } = {},
): Promise<string> {
  const jwt = await new SignJWT({
    reach_tenant: o.tenant ?? 'tenant-a',
    ...(o.scope !== undefined ? { scope: o.scope } : {}),
    ...(o.scp !== undefined ? { scp: o.scp } : {}),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(o.subject ?? 'user-1')
    .setIssuer('https://idp.example')
    .setAudience('batchql')
    .setExpirationTime(o.expires ?? '10m')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  return `Bearer ${jwt}`;
}
