import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { createGraphQLError } from 'graphql-yoga';
import { env, fragment } from '../config/settings.js';

/** How clients authenticate (docs/security.md, "Authentication and tenancy"). */
export interface AuthSettings {
  mode: 'none' | 'jwt';
  /** HS256 shared secret. */
  secret?: string;
  /** A JWKS URL (RS256/ES256 and friends). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** The claim holding the client's tenant (for tenant-scoped providers). */
  tenantClaim: string;
  /** The scope every write needs (`JWT_WRITE_SCOPE`), read from the token's `scope` or `scp` claim. */
  writeScope: string;
  /** The scope of operators (`JWT_OPERATOR_SCOPE`): the audit log, later the operator console's actions. */
  operatorScope: string;
}

/**
 * `AUTH_MODE` (`jwt`, the default, or `none`) and the `JWT_*` variables: jwt mode needs a key
 * (an HS256 secret or a JWKS URL), an issuer and an audience.
 */
export const authSettings = fragment(
  {
    AUTH_MODE: env
      .oneOf(['jwt', 'none'] as const, 'jwt')
      .describe(
        '`jwt`: clients send `Authorization: Bearer <JWT>`; `none`: no client authentication (demo only, logged ' +
          'loudly)',
      ),
    JWT_TENANT_CLAIM: env
      .text('reach_tenant')
      .describe(
        "the claim holding the client's Reach tenant, sent upstream as `reach-tenant-id`; it must be 1–200 " +
          "characters of letters, digits and ``!#$%&'*+-.^_`|~`` (RFC 9110 `tchar`, ASCII only), else the token " +
          'is refused (401)',
      ),
    JWT_SECRET: env.text().describe('HS256 secret (at least 32 characters)'),
    JWT_JWKS_URL: env.text().describe('a JWKS URL (RS256, ES256, …), instead of `JWT_SECRET`'),
    JWT_ISSUER: env.text().meta({ fallback: '— (required with `jwt`)' }).describe('the `iss` a token must carry'),
    JWT_AUDIENCE: env.text().meta({ fallback: '— (required with `jwt`)' }).describe('the `aud` a token must carry'),
    JWT_WRITE_SCOPE: env
      .text('batches:write', (raw) => (/\s/.test(raw) ? `must be one scope (no spaces), got "${raw}"` : undefined))
      .meta({ allowed: 'one scope (no spaces)' })
      .describe(
        "the scope every mutation needs with `jwt`, from the token's `scope` (space-separated) or `scp` claim; " +
          'without it a write is `FORBIDDEN` and nothing is sent upstream ([writes.md](writes.md#who-may-write))',
      ),
    JWT_OPERATOR_SCOPE: env
      .text('batches:operate', (raw) => (/\s/.test(raw) ? `must be one scope (no spaces), got "${raw}"` : undefined))
      .meta({ allowed: 'one scope (no spaces)' })
      .describe(
        "the operators' scope with `jwt`, from the token's `scope` or `scp` claim: `Query.auditLog` needs it. It " +
          'does not imply `JWT_WRITE_SCOPE` (an auditor need not write); operator features that write need both ' +
          '([ledger.md](ledger.md#the-operator-scope))',
      ),
  },
  (v): AuthSettings => {
    const {
      AUTH_MODE: mode,
      JWT_TENANT_CLAIM: tenantClaim,
      JWT_WRITE_SCOPE: writeScope,
      JWT_OPERATOR_SCOPE: operatorScope,
    } = v;
    if (mode === 'none') return { mode, tenantClaim, writeScope, operatorScope };
    // The rules below have made sure of both.
    const { JWT_SECRET: secret, JWT_JWKS_URL: jwksUrl, JWT_ISSUER: issuer = '', JWT_AUDIENCE: audience = '' } = v;
    return {
      mode,
      tenantClaim,
      writeScope,
      operatorScope,
      issuer,
      audience,
      ...(secret ? { secret } : {}),
      ...(jwksUrl ? { jwksUrl } : {}),
    };
  },
  {
    title: 'Authentication',
    says: 'How clients authenticate ([security.md](security.md#authentication-and-tenancy)).',
    rules: [
      {
        says:
          'With `AUTH_MODE=jwt`, one key: `JWT_SECRET` (at least 32 characters) or `JWT_JWKS_URL` (an http(s) URL), ' +
          'not both.',
        check: (v, fail) => {
          if (v.AUTH_MODE !== 'jwt') return;
          const secret = v.JWT_SECRET;
          const jwksUrl = v.JWT_JWKS_URL;
          if (!secret && !jwksUrl)
            fail('AUTH_MODE=jwt needs JWT_SECRET (HS256) or JWT_JWKS_URL; set AUTH_MODE=none only for a local demo');
          if (secret && jwksUrl) fail('set JWT_SECRET or JWT_JWKS_URL, not both');
          if (secret && secret.length < 32) fail('JWT_SECRET must be at least 32 characters');
          if (jwksUrl && !/^https?:\/\//.test(jwksUrl)) fail('JWT_JWKS_URL must be an http(s) URL');
        },
      },
      {
        says: 'With `AUTH_MODE=jwt`, `JWT_ISSUER` and `JWT_AUDIENCE` are required.',
        check: (v, fail) => {
          if (v.AUTH_MODE !== 'jwt') return;
          // Both reported in one run: an operator fixes them together.
          if (!v.JWT_ISSUER) fail('AUTH_MODE=jwt needs JWT_ISSUER');
          if (!v.JWT_AUDIENCE) fail('AUTH_MODE=jwt needs JWT_AUDIENCE');
        },
      },
    ],
  },
);

/** Who is calling: the verified subject and tenant, and when the token expires. */
export interface Principal {
  subject?: string;
  tenant?: string;
  /** Epoch milliseconds of the token's `exp`; open streams end then. */
  expiresAt?: number;
  /**
   * Whether the caller may write (submit, cancel, delete): with JWTs, whether the token grants
   * `JWT_WRITE_SCOPE`; undefined when no authentication is in force (`AUTH_MODE=none`), where anyone may.
   */
  canWrite?: boolean;
  /** Whether the token grants `JWT_OPERATOR_SCOPE` (the audit log); undefined with `AUTH_MODE=none`: anyone may. */
  canOperate?: boolean;
}

/** The scopes a token grants: OAuth 2's space-separated `scope`, or `scp` (a list, or a space-separated string). */
export function scopesOf(payload: JWTPayload): Set<string> {
  const scopes = new Set<string>();
  for (const claim of [payload.scope, payload.scp]) {
    const list = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(' ') : [];
    for (const scope of list) if (typeof scope === 'string' && scope !== '') scopes.add(scope);
  }
  return scopes;
}

/** A tenant claim: 1-200 RFC 9110 `tchar`s (a tenant-scoped provider sends it upstream as a header value). */
const TENANT = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,200}$/;

/** Verifies a bearer token (or accepts everyone in `none` mode). */
export type Authenticator = (authorization: string | undefined) => Promise<Principal>;

const unauthenticated = (message: string) =>
  createGraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
  });

/**
 * JWT verification with jose: signature (HS256 secret or JWKS), expiry, issuer and audience.
 * The tenant comes only from the verified `tenantClaim`; a tenant header a client sends itself is
 * never read.
 */
export function createAuthenticator(settings: AuthSettings): Authenticator {
  if (settings.mode === 'none') return async () => ({});
  const key: Uint8Array | JWTVerifyGetKey = settings.jwksUrl
    ? createRemoteJWKSet(new URL(settings.jwksUrl))
    : new TextEncoder().encode(settings.secret ?? '');
  const algorithms = settings.jwksUrl ? undefined : ['HS256'];
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
    if (!match) throw unauthenticated('Missing bearer token (Authorization: Bearer <JWT>)');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, key as Uint8Array, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      const reason =
        code === 'ERR_JWT_EXPIRED'
          ? 'token expired'
          : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
            ? 'token issuer or audience not accepted'
            : 'token not valid';
      throw unauthenticated(`Unauthenticated: ${reason}`);
    }
    const tenant = payload[settings.tenantClaim];
    if (typeof tenant !== 'string' || tenant.length === 0)
      throw unauthenticated(`Unauthenticated: the token has no "${settings.tenantClaim}" claim`);
    // The tenant becomes an upstream header value: only RFC 9110 token characters get that far.
    if (!TENANT.test(tenant))
      throw unauthenticated(
        `Unauthenticated: the "${settings.tenantClaim}" claim must be 1-200 characters of A-Z a-z 0-9 !#$%&'*+-.^_\`|~`,
      );
    const scopes = scopesOf(payload);
    return {
      ...(payload.sub ? { subject: payload.sub } : {}),
      tenant,
      ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
      canWrite: scopes.has(settings.writeScope),
      canOperate: scopes.has(settings.operatorScope),
    };
  };
}

/** The bearer credentials of an HTTP request or of graphql-ws connection params. */
export function authorizationOf(
  request: { headers: { get(name: string): string | null } } | undefined,
  connectionParams: Record<string, unknown> | undefined,
): string | undefined {
  const fromParams = connectionParams?.authorization ?? connectionParams?.Authorization;
  if (typeof fromParams === 'string') return fromParams;
  return request?.headers.get('authorization') ?? undefined;
}
