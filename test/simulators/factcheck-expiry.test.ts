import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactCheckSimulator, createManualClock } from '../../src/dev/simulators/index.js';

/**
 * The Check simulator's expiry mode (issue 31): what Check does at `expiresAt` is not documented; batchql assumes
 * the batch is gone from then on, as an id Check never had (docs/providers.md), and the mode does exactly that.
 */
const START = Date.parse('2026-11-01T12:00:00Z');
const TTL_MS = 3_600_000;
const DAY = 86_400_000;
const clock = createManualClock(START);
let sim: Awaited<ReturnType<typeof createFactCheckSimulator>>;
/** The batch the first test sees expire. */
let gone: string;

beforeAll(async () => {
  sim = await createFactCheckSimulator({ clock, seed: 11, batchCount: 150, expiry: { ttlMs: TTL_MS } });
});
afterAll(() => sim.close());

const call = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${sim.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${sim.credentials.apiKey}`, 'content-type': 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};
const setExpiry = (ttlMs: number | null) => call('/__sim/expiry', { method: 'POST', body: JSON.stringify({ ttlMs }) });

/** Every id of the list, walked in pages of 100, and the `total` the first page gives. */
async function listed(): Promise<{ ids: string[]; total: number }> {
  const ids: string[] = [];
  let total = -1;
  for (let offset = 0; ; offset += 100) {
    const page = await call(`/v1/batch?limit=100&offset=${offset}`);
    expect(page.status).toBe(200);
    if (total < 0) total = page.body.pagination.total;
    ids.push(...page.body.data.map((b: { id: string }) => b.id));
    if (!page.body.pagination.hasMore) return { ids, total };
  }
}

/** The running batch that finishes first. */
const firstToFinish = () =>
  [...sim.control.idsByState().running!].sort(
    (a, b) => sim.control.changedAt(a, Number.MAX_SAFE_INTEGER)! - sim.control.changedAt(b, Number.MAX_SAFE_INTEGER)!,
  )[0]!;

describe('Check simulator expiry mode', () => {
  it('expires a finished batch at completedAt + ttl: then 404 not_found, and no longer listed', async () => {
    const id = (gone = firstToFinish());
    const running = await call(`/v1/batch/${id}`);
    expect(running.body.expiresAt).toBeNull();
    clock.set(sim.control.changedAt(id, Number.MAX_SAFE_INTEGER)! + 10);
    const done = await call(`/v1/batch/${id}`);
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('completed');
    expect(Date.parse(done.body.expiresAt)).toBe(Date.parse(done.body.completedAt) + TTL_MS);
    expect((await call(`/v1/batch/${id}/results?limit=5`)).status).toBe(200);
    const before = await listed();
    expect(before.ids).toContain(id);

    // One millisecond before expiresAt it is still there; at expiresAt it is gone.
    clock.set(Date.parse(done.body.expiresAt) - 1);
    expect((await call(`/v1/batch/${id}`)).status).toBe(200);
    clock.advance(1);
    for (const path of [`/v1/batch/${id}`, `/v1/batch/${id}/results?limit=5`]) {
      const gone = await call(path);
      expect(gone.status).toBe(404);
      // Check's documented envelope for an unknown id, exactly as for one it never had.
      expect(gone.body).toEqual({
        error: {
          code: 'not_found',
          message: 'Batch not found',
          requestId: expect.stringMatching(/^req_[0-9a-f]{12}$/),
        },
      });
      const never = await call(path.replace(id, 'batch_000000000000'));
      expect(Object.keys(never.body.error)).toEqual(Object.keys(gone.body.error));
    }
    const after = await listed();
    expect(after.ids).not.toContain(id);
    expect(after.total).toBe(after.ids.length);
    expect(new Set(after.ids).size).toBe(after.ids.length);
    // Only batches finished more than a ttl ago left (none was added meanwhile).
    expect(after.ids.every((x) => before.ids.includes(x))).toBe(true);
  });

  it('is switched over /__sim/expiry, and off keeps every batch with expiresAt 30 days after creation', async () => {
    expect((await call(`/v1/batch/${gone}`)).status).toBe(404);
    expect((await call('/__sim/expiry', { method: 'DELETE' })).status).toBe(204);
    const back = await call(`/v1/batch/${gone}`);
    expect(back.status).toBe(200);
    expect(Date.parse(back.body.expiresAt)).toBe(Date.parse(back.body.createdAt) + 30 * DAY);
    const all = await listed();
    expect(all.ids).toHaveLength(150);
    expect(all.total).toBe(150);

    expect((await setExpiry(TTL_MS)).status).toBe(204);
    expect((await call(`/v1/batch/${gone}`)).status).toBe(404);
    expect((await setExpiry(null)).status).toBe(204);
    expect((await call(`/v1/batch/${gone}`)).status).toBe(200);
    expect((await setExpiry(-1)).status).toBe(400);
  });
});
