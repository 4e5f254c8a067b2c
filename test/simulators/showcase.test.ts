/**
 * Check's showcase batch (`factCheckShowcase`, the batch the demo's subscription follows): queued, then
 * running for its duration, then succeeded; the seeded batches beside it stay exactly as they were.
 */
import { expect, it } from 'vitest';
import { createFactCheckSimulator, createManualClock, FACT_CHECK_SHOWCASE_ID } from '../../src/dev/simulators/index.js';

const START = Date.parse('2026-11-01T12:00:00Z');

async function summaries(url: string, apiKey: string) {
  const page = async (offset: number) => {
    const res = await fetch(`${url}/v1/batch?limit=100&offset=${offset}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    return ((await res.json()) as { data: Record<string, unknown>[] }).data;
  };
  return [...(await page(0)), ...(await page(100)), ...(await page(200)), ...(await page(300))];
}

it('runs the showcase batch from startInMs for durationMs, and leaves the seeded data as it is', async () => {
  const clock = createManualClock(START);
  const plain = await createFactCheckSimulator({ clock, seed: 1, batchCount: 300 });
  const showcase = { startInMs: 5_000, durationMs: 240_000 };
  const sim = await createFactCheckSimulator({ clock, seed: 1, batchCount: 300, showcase });
  try {
    const read = async () => {
      const res = await fetch(`${sim.url}/v1/batch/${FACT_CHECK_SHOWCASE_ID}`, {
        headers: { authorization: `Bearer ${sim.credentials.apiKey}` },
      });
      return (await res.json()) as { status: string; processedItems: number; totalItems: number };
    };
    expect(await read()).toMatchObject({ status: 'pending', processedItems: 0, totalItems: 1000 });
    clock.advance(5_000 + 120_000);
    expect(await read()).toMatchObject({ status: 'processing', processedItems: 500 });
    clock.advance(120_000);
    expect(await read()).toMatchObject({ status: 'completed', processedItems: 1000 });

    const withShowcase = await summaries(sim.url, sim.credentials.apiKey);
    expect(withShowcase).toHaveLength(301);
    expect(withShowcase[0]!.id).toBe(FACT_CHECK_SHOWCASE_ID);
    expect(withShowcase.slice(1)).toEqual(await summaries(plain.url, plain.credentials.apiKey));
  } finally {
    await Promise.all([sim.close(), plain.close()]);
  }
});
