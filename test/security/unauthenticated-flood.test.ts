import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { spawnGateway, type GatewayProcess } from '../../src/dev/gateway-process.js';
import { createManualClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { bearer, JWT_TEST_ENV } from '../helpers/auth.js';
import { codeOf, floodBody, rawPost, uploadBody } from '../helpers/raw-post.js';
import { cpuSeconds, rssBytes } from '../helpers/process-stats.js';

/**
 * Issue 23, measured: forty unauthenticated multipart requests of about 6 MB, each of 60,000 file parts,
 * sent at once to a gateway running as its own process (AUTH_MODE=jwt). Before, they kept it busy for
 * 56 s of CPU and took its memory from 590 MB to 1.75 GB; now each is refused before its body is read.
 * The bounds are resource bounds read from /proc (CPU seconds and resident memory of the gateway process),
 * kept generous: under 1 s of CPU for all forty, under 50 MB of memory growth.
 */
const REQUESTS = 40;

let sims: Simulators;
let gateway: GatewayProcess;
beforeAll(async () => {
  sims = await startSimulators({
    clock: createManualClock(Date.parse('2026-11-01T12:00:00Z')),
    seed: 23,
    batchCount: 10,
  });
  gateway = await spawnGateway({
    ...simulatorEnv(sims),
    ...JWT_TEST_ENV,
  });
}, 60_000);
afterAll(async () => {
  await gateway?.kill();
  await sims?.close();
});

describe('forty unauthenticated 6 MB multipart requests', () => {
  it('cost the gateway under 1 s of CPU and under 50 MB of memory, each refused 401 or closed', async () => {
    const pid = gateway.child.pid!;
    const { body, contentType } = floodBody();
    expect(body.length).toBeGreaterThan(5.5 * 1024 * 1024);
    expect(body.length).toBeLessThan(10 * 1024 * 1024);
    const authorization = await bearer({ scope: 'batches:write' });
    const query = Buffer.from(JSON.stringify({ query: '{ providers { provider } }' }));
    const headers = { 'content-type': 'application/json', authorization };
    // Warm: one authenticated query, answered.
    expect(await rawPost(gateway.url, { headers, body: query })).toMatchObject({ kind: 'answer', status: 200 });

    const cpuBefore = cpuSeconds(pid);
    const rssBefore = rssBytes(pid);
    const outcomes = await Promise.all(
      Array.from({ length: REQUESTS }, () =>
        rawPost(gateway.url, { headers: { 'content-type': contentType, 'x-batchql-csrf': '1' }, body }),
      ),
    );
    // The gateway has done all it will for them once it answers the next request.
    expect(await rawPost(gateway.url, { headers, body: query })).toMatchObject({ kind: 'answer', status: 200 });
    const cpu = cpuSeconds(pid) - cpuBefore;
    const grown = rssBytes(pid) - rssBefore;

    for (const o of outcomes) {
      if (o.kind === 'answer') {
        expect(o.status).toBe(401);
        expect(codeOf(o)).toBe('UNAUTHENTICATED');
      } else expect(o.kind).toBe('closed');
    }
    expect(cpu, `gateway CPU for ${REQUESTS} requests: ${cpu.toFixed(2)} s`).toBeLessThan(1);
    expect(grown, `gateway memory growth: ${(grown / 1024 / 1024).toFixed(1)} MB`).toBeLessThan(50 * 1024 * 1024);
  }, 60_000);

  it('leave uploads with the write scope working on the same gateway', async () => {
    const { body, contentType } = uploadBody('content\nClaim one\nClaim two\n');
    const r = await rawPost(gateway.url, {
      headers: {
        'content-type': contentType,
        'x-batchql-csrf': '1',
        authorization: await bearer({ scope: 'batches:write' }),
      },
      body,
    });
    expect(r).toMatchObject({ kind: 'answer', status: 200 });
    if (r.kind === 'answer') expect(r.body.data.uploadFactCheckFile).toMatchObject({ itemCount: 2, userErrors: [] });
  });
});
