import { describe, expect, it } from 'vitest';
import { markdownTable, median, ratioInRound, summarise, type Measure } from '../../bench/throughput/report.js';

const m = (rps: number, p50: number, failed = 0): Measure => ({ rps, p50, p99: p50 * 2, failed });

describe('bench report', () => {
  it('takes medians of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('takes each ratio within its own round, then the median, and judges the goal', () => {
    const cases = [
      { name: 'direct' },
      { name: 'gw', goal: { kind: 'throughput' as const, baseline: 'direct', ratio: 0.3 } },
      { name: 'a' },
      { name: 'b' },
      { name: 'both', goal: { kind: 'latency' as const, baselines: ['a', 'b'], ratio: 1.3 } },
    ];
    const rounds = [
      { direct: m(1000, 5), gw: m(200, 30), a: m(10, 20), b: m(10, 25), both: m(10, 30) },
      // A slow round: the ratio stays 0.2 although both figures dropped.
      { direct: m(500, 5), gw: m(100, 30, 2), a: m(10, 20), b: m(10, 40), both: m(10, 44) },
      { direct: m(1000, 5), gw: m(400, 30), a: m(10, 22), b: m(10, 21), both: m(10, 33) },
    ];
    expect(ratioInRound(rounds[1]!, 'both', cases[4]!.goal!)).toBeCloseTo(1.1);
    const rows = summarise(cases, rounds);
    expect(rows[0]).toMatchObject({ name: 'direct', rps: 1000, failed: 0 });
    expect(rows[0]!.ratio).toBeUndefined();
    expect(rows[1]).toMatchObject({ rps: 200, failed: 2, met: false });
    expect(rows[1]!.ratio).toBeCloseTo(0.2); // rounds: 0.2, 0.2, 0.4
    expect(rows[4]!.ratio).toBeCloseTo(1.2); // rounds: 30/25, 44/40, 33/22
    expect(rows[4]!.met).toBe(true);
    const table = markdownTable(rows);
    expect(table).toContain('| gw | 200 | 30 ms | 60 ms | **0.20** (goal ≥ 0.30 of direct: not met) | 2 |');
    expect(table).toContain('**1.20** (goal ≤ 1.3× p50: met)');
  });
});
