/**
 * The figures of `npm run bench`, pure: medians over rounds, each ratio taken within its own round
 * (the direct floor of the same round, the single-provider p50s of the same round), then its median.
 */
import type { Goal } from './cases.js';

/** One case's figures in one round. */
export interface Measure {
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx, socket errors and timeouts, and answers with GraphQL `errors` or failing the sample check. */
  failed: number;
}

/** One row of the summary. */
export interface SummaryRow {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  /** The median over rounds of the goal's ratio; undefined for a case without a goal. */
  ratio?: number;
  goal?: Goal;
  met?: boolean;
  /** Summed over rounds. */
  failed: number;
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The goal's ratio within one round, or undefined when a case it compares with is missing. */
export function ratioInRound(round: Readonly<Record<string, Measure>>, name: string, goal: Goal): number | undefined {
  const own = round[name];
  if (!own) return undefined;
  if (goal.kind === 'throughput') {
    const base = round[goal.baseline];
    return base && base.rps > 0 ? own.rps / base.rps : undefined;
  }
  const bases = goal.baselines.map((b) => round[b]);
  if (bases.some((b) => !b)) return undefined;
  const slowest = Math.max(...bases.map((b) => b!.p50));
  return slowest > 0 ? own.p50 / slowest : undefined;
}

/** Summarises rounds (case name → figures), in the order of `cases`. */
export function summarise(
  cases: readonly { name: string; goal?: Goal }[],
  rounds: readonly Readonly<Record<string, Measure>>[],
): SummaryRow[] {
  return cases.map(({ name, goal }) => {
    const measures = rounds.flatMap((r) => (r[name] ? [r[name]] : []));
    const row: SummaryRow = {
      name,
      rps: median(measures.map((m) => m.rps)),
      p50: median(measures.map((m) => m.p50)),
      p99: median(measures.map((m) => m.p99)),
      failed: measures.reduce((sum, m) => sum + m.failed, 0),
    };
    if (!goal) return row;
    const ratios = rounds.flatMap((r) => {
      const ratio = ratioInRound(r, name, goal);
      return ratio === undefined ? [] : [ratio];
    });
    const ratio = median(ratios);
    const met = goal.kind === 'throughput' ? ratio >= goal.ratio : ratio <= goal.ratio;
    return { ...row, goal, ratio, met };
  });
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const ms = (n: number) => (Number.isFinite(n) ? `${Number.isInteger(n) ? n : n.toFixed(1)} ms` : '–');

function goalText(row: SummaryRow): string {
  if (!row.goal || row.ratio === undefined) return '';
  const r = Number.isFinite(row.ratio) ? row.ratio.toFixed(2) : '–';
  const want = row.goal.kind === 'throughput' ? `≥ ${row.goal.ratio.toFixed(2)} of direct` : `≤ ${row.goal.ratio}× p50`;
  return `**${r}** (goal ${want}: ${row.met ? 'met' : 'not met'})`;
}

/** The summary as a Markdown table (printed, and pasted into docs/benchmarks.md). */
export function markdownTable(rows: readonly SummaryRow[]): string {
  const lines = [
    '| case | req/s | p50 | p99 | ratio (goal) | failed responses |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${int(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${goalText(r)} | ${r.failed} |`),
  ];
  return lines.join('\n');
}
