/**
 * Compares two V8 heap snapshots (`bench:live` with BENCH_HEAP_SNAPSHOTS): what the second holds
 * more than the first, grouped by node type and name (an object's constructor, a closure's
 * function name), self sizes, largest first; with a subscriber count, per subscriber.
 *   tsx bench/heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [SUBSCRIBERS] [--retainers NAME]
 * `--retainers NAME` also prints, for a few nodes named NAME in AFTER, the chain of retainers
 * (the first strong one at each step) up to a GC root. Benchmarks only.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Parsed {
  raw: Snapshot;
  nodeFieldCount: number;
  edgeFieldCount: number;
  count: number;
  typeOf(i: number): string;
  nameOf(i: number): string;
  selfOf(i: number): number;
}

function parse(path: string): Parsed {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = raw.snapshot.meta.node_fields;
  const types = raw.snapshot.meta.node_types[0];
  const nodeFieldCount = fields.length;
  const [typeAt, nameAt, selfAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  return {
    raw,
    nodeFieldCount,
    edgeFieldCount: raw.snapshot.meta.edge_fields.length,
    count: raw.nodes.length / nodeFieldCount,
    typeOf: (i) => types[raw.nodes[i * nodeFieldCount + typeAt]!]!,
    nameOf: (i) => raw.strings[raw.nodes[i * nodeFieldCount + nameAt]!]!,
    selfOf: (i) => raw.nodes[i * nodeFieldCount + selfAt]!,
  };
}

/** Groups a node: strings and numbers by type only, code and arrays by type and a shortened name. */
function groupOf(s: Parsed, i: number): string {
  const type = s.typeOf(i);
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number') return type;
  const name = s.nameOf(i);
  return `${type}: ${name.length > 60 ? `${name.slice(0, 57)}...` : name}`;
}

function totals(s: Parsed): Map<string, { n: number; bytes: number }> {
  const out = new Map<string, { n: number; bytes: number }>();
  for (let i = 0; i < s.count; i++) {
    const key = groupOf(s, i);
    const t = out.get(key) ?? { n: 0, bytes: 0 };
    t.n++;
    t.bytes += s.selfOf(i);
    out.set(key, t);
  }
  return out;
}

const args = process.argv.slice(2);
const retainersAt = args.indexOf('--retainers');
const retainerName = retainersAt >= 0 ? args.splice(retainersAt, 2)[1] : undefined;
const [beforePath, afterPath, perText] = args;
if (!beforePath || !afterPath) throw new Error('usage: heap-diff BEFORE AFTER [SUBSCRIBERS] [--retainers NAME]');
const per = Number(perText ?? 1) || 1;
const before = parse(beforePath);
const a = totals(before);
const after = parse(afterPath);
const b = totals(after);
const rows = [...b].map(([key, t]) => {
  const o = a.get(key) ?? { n: 0, bytes: 0 };
  return { key, n: t.n - o.n, bytes: t.bytes - o.bytes };
});
rows.sort((x, y) => y.bytes - x.bytes);
const sum = rows.reduce((acc, r) => acc + r.bytes, 0);
console.log(`self size grown: ${(sum / 1024 / 1024).toFixed(1)} MiB, ${(sum / per).toFixed(0)} B per subscriber`);
console.log('bytes/sub  count/sub  group');
for (const r of rows.slice(0, 60))
  console.log(`${(r.bytes / per).toFixed(0).padStart(9)}  ${(r.n / per).toFixed(2).padStart(9)}  ${r.key}`);

if (retainerName) {
  // Reverse edges: for each node, its retainers (node index, edge name, edge type).
  const s = after;
  const { nodes, edges, strings } = s.raw;
  const edgeTypes = s.raw.snapshot.meta.edge_types[0];
  const fields = s.raw.snapshot.meta.node_fields;
  const edgeCountAt = fields.indexOf('edge_count');
  const ef = s.raw.snapshot.meta.edge_fields;
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const retainers = new Map<number, { from: number; edge: string }[]>();
  let e = 0;
  for (let i = 0; i < s.count; i++) {
    const n = nodes[i * s.nodeFieldCount + edgeCountAt]!;
    for (let k = 0; k < n; k++, e += s.edgeFieldCount) {
      const type = edgeTypes[edges[e + eType]!]!;
      if (type === 'weak' || type === 'shortcut') continue;
      const to = edges[e + eTo]! / s.nodeFieldCount;
      const nameOrIndex = edges[e + eName]!;
      const edge = type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : strings[nameOrIndex]!;
      const list = retainers.get(to) ?? [];
      list.push({ from: i, edge: `${type}:${edge}` });
      retainers.set(to, list);
    }
  }
  let shown = 0;
  for (let i = 0; i < s.count && shown < 3; i++) {
    if (s.nameOf(i) !== retainerName) continue;
    shown++;
    console.log(`\n${groupOf(s, i)} (${s.selfOf(i)} B)`);
    let at = i;
    const seen = new Set<number>([at]);
    for (let depth = 0; depth < 14; depth++) {
      const next = (retainers.get(at) ?? []).find((r) => !seen.has(r.from));
      if (!next) break;
      seen.add(next.from);
      at = next.from;
      console.log(`  <- ${next.edge} of ${groupOf(s, at)}`);
    }
  }
}
