import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { spawnGateway, type GatewayProcess } from '../../src/dev/gateway-process.js';
import type { RecordedRequest } from '../../src/dev/simulators/server.js';
import type { Simulators } from '../../src/dev/simulators/index.js';
import { FAST_LIVE_ENV } from './harness.js';

/** The environment of a gateway replica on the simulators and a Redis: fast polling, a short lease. */
export function replicaEnv(
  sims: Simulators,
  redisUrl: string,
  o: { prefix: string; leaseMs: number; extra?: Record<string, string> },
): Record<string, string> {
  return {
    ...simulatorEnv(sims),
    ...FAST_LIVE_ENV,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: o.prefix,
    LIVE_LEASE_MS: String(o.leaseMs),
    ...o.extra,
  };
}

/** Starts one gateway process per name (`INSTANCE_ID`), all with `env`. */
export function spawnReplicas(names: string[], env: Record<string, string>): Promise<GatewayProcess[]> {
  return Promise.all(names.map((name) => spawnGateway({ ...env, INSTANCE_ID: name })));
}

/** Which replica sent a simulator request: its `INSTANCE_ID`, from the user agent (`batchql (<id>)`). */
export function senderOf(r: RecordedRequest): string {
  return /\(([^)]+)\)/.exec(r.headers['user-agent'] ?? '')?.[1] ?? '?';
}
