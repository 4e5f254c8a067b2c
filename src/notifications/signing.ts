/**
 * Signing of outbound webhooks with the Standard Webhooks scheme (https://www.standardwebhooks.com/): the
 * `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, the signature an HMAC-SHA256 of
 * `${id}.${timestamp}.${body}` computed by the `standardwebhooks` package itself (no HMAC of our own, so a
 * receiver using any Standard Webhooks library verifies what we send), and the secrets that sign.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The prefix of a Standard Webhooks secret; the rest is the key, base64. */
const SECRET_PREFIX = 'whsec_';

/** The prefix of a message id (`webhook-id`). */
const MESSAGE_ID_PREFIX = 'msg_';

/**
 * A new signing secret: `whsec_` and 32 random bytes (256 bits, as much as an HMAC-SHA256 signature carries),
 * base64 with padding, as `standardwebhooks` decodes it.
 */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Crockford's base32 alphabet (no I, L, O, U): ascending in ASCII, so encoded ids sort as their numbers do. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `value` (>= 0) as exactly `length` Crockford base32 digits, most significant first. */
function base32(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = CROCKFORD[Number(value & 31n)]! + out;
    value >>= 5n;
  }
  return out;
}

const RANDOM_BITS = 80n;
const RANDOM_MAX = (1n << RANDOM_BITS) - 1n;
/** The last id's time and random part, so ids made in one millisecond (or while the clock steps back) still sort. */
let lastTime = -1;
let lastRandom = 0n;

/**
 * A new message id, the `webhook-id` of one message (the same on each of its delivery attempts, so a receiver
 * can drop a repeat): `msg_` and a ULID (https://github.com/ulid/spec), 26 Crockford base32 characters: 10 for
 * the 48-bit Unix time in milliseconds, then 16 for 80 random bits.
 *
 * Ids sort (as strings) in the order this process made them: within one millisecond, or while the clock is behind
 * the last id's time (a step back), the previous id's time is kept and its random part goes up by one (the ULID
 * spec's monotonic form). Across processes they sort by time to the millisecond, and 80 random bits keep them
 * apart.
 */
export function newMessageId(): string {
  const now = Date.now();
  if (now > lastTime) {
    lastTime = now;
    lastRandom = BigInt(`0x${randomBytes(10).toString('hex')}`);
  } else if (lastRandom < RANDOM_MAX) {
    lastRandom += 1n;
  } else {
    // 2^80 ids in one millisecond: never in practice; the next millisecond's ids keep the order.
    lastTime += 1;
    lastRandom = 0n;
  }
  return MESSAGE_ID_PREFIX + base32(BigInt(lastTime), 10) + base32(lastRandom, 16);
}

/** The Standard Webhooks headers of one delivery attempt. */
export type SignatureHeaders = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>;

/**
 * The headers that sign `body` (the exact bytes sent, UTF-8) as message `id` sent at `timestamp` (whole seconds
 * are signed; the rest is dropped): one `v1,<base64>` signature per secret, in the order given, joined with a
 * single space, the spec's form for several signatures. A receiver accepts the message when any one matches its
 * secret, so during a rotation (`activeSecrets`) it verifies with the old secret or the new one.
 * Throws on an empty `secrets` list (an unsigned message is never sent) and, from `standardwebhooks`, on a secret
 * whose key is empty.
 */
export function signatureHeaders(input: {
  id: string;
  timestamp: Date;
  body: string;
  secrets: readonly string[];
}): SignatureHeaders {
  if (input.secrets.length === 0) throw new Error(`webhook ${input.id}: no signing secret`);
  const signatures = input.secrets.map((secret) => new Webhook(secret).sign(input.id, input.timestamp, input.body));
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(Math.floor(input.timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

/** One of an endpoint's signing secrets, as stored. */
export interface StoredSecret {
  secret: string;
  /** When it was made (epoch ms). */
  createdAt: number;
  /**
   * When it stops signing (epoch ms), or null while it is current. A rotation sets the old secret's to the
   * rotation time plus the overlap window, so both sign until then and a receiver can switch in between.
   */
  expiresAt: number | null;
}

/**
 * The secrets that sign at `now` (epoch ms): those not expired (`expiresAt` null or after `now`), newest first
 * (by `createdAt`; ties keep their order), the order `signatureHeaders` writes their signatures in.
 */
export function activeSecrets(secrets: readonly StoredSecret[], now: number): string[] {
  return secrets
    .filter((s) => s.expiresAt === null || s.expiresAt > now)
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((s) => s.secret);
}
