/**
 * Retained sizes in a V8 heap snapshot (the dominator tree, as DevTools computes it, weak edges
 * left out), grouped by node type and name: how many of each and what they keep alive. With a
 * subscriber count, per subscriber; groups with fewer than `--min` (0.5) nodes per subscriber
 * are left out, so what is listed is what every subscriber holds.
 *   tsx bench/heap-retained.ts SNAPSHOT SUBSCRIBERS [--min 0.5] [--top 50] [--under NAME]
 * `--under NAME` lists what nodes named NAME dominate directly, grouped, by retained size;
 * `--tree NAME` prints the dominator subtree of one node named NAME (the one retaining the
 * median size), to `--depth` (4) levels, children over 100 B, with the edge that reaches each.
 * `--since OLDER` (a snapshot of the same process, earlier): the nodes allocated since (by node id)
 * are grouped under their topmost new dominator, so each row is one kind of new structure and
 * what it keeps alive: what the subscribers added, by root. Benchmarks only.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1]! : fallback;
};
const min = Number(option('--min', '0.5'));
const top = Number(option('--top', '50'));
const under = option('--under', '');
const treeName = option('--tree', '');
const since = option('--since', '');
const depth = Number(option('--depth', '4'));
const [path, perText] = args;
if (!path) throw new Error('usage: heap-retained SNAPSHOT SUBSCRIBERS [--min 0.5] [--top 50] [--under NAME]');
const per = Number(perText ?? 1) || 1;

const raw = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
const { nodes, edges, strings } = raw;
const nf = raw.snapshot.meta.node_fields;
const ef = raw.snapshot.meta.edge_fields;
const nodeTypes = raw.snapshot.meta.node_types[0];
const edgeTypes = raw.snapshot.meta.edge_types[0];
const N = nf.length;
const E = ef.length;
const count = nodes.length / N;
const [typeAt, nameAt, selfAt, edgeCountAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [
  number,
  number,
  number,
  number,
];
const [eTypeAt, eToAt] = ['type', 'to_node'].map((f) => ef.indexOf(f)) as [number, number];
const weak = edgeTypes.indexOf('weak');
const shortcut = edgeTypes.indexOf('shortcut');

const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += nodes[i * N + edgeCountAt]! * E;
}
firstEdge[count] = edges.length;
const strong = (e: number) => edges[e + eTypeAt] !== weak && edges[e + eTypeAt] !== shortcut;

// Postorder from the root (node 0), iteratively.
const order = new Int32Array(count).fill(-1); // postorder index of each node
const byOrder = new Int32Array(count);
let visited = 0;
{
  const stack = new Int32Array(count);
  const cursor = new Uint32Array(count);
  const seen = new Uint8Array(count);
  let sp = 0;
  stack[sp++] = 0;
  seen[0] = 1;
  cursor[0] = firstEdge[0]!;
  while (sp > 0) {
    const v = stack[sp - 1]!;
    let pushed = false;
    while (cursor[v]! < firstEdge[v + 1]!) {
      const e = cursor[v]!;
      cursor[v] = e + E;
      if (!strong(e)) continue;
      const w = edges[e + eToAt]! / N;
      if (seen[w]) continue;
      seen[w] = 1;
      cursor[w] = firstEdge[w]!;
      stack[sp++] = w;
      pushed = true;
      break;
    }
    if (!pushed) {
      sp--;
      order[v] = visited;
      byOrder[visited++] = v;
    }
  }
}

// Predecessors (strong edges, reachable nodes only), as CSR.
const predCount = new Uint32Array(count + 1);
for (let v = 0; v < count; v++) {
  if (order[v]! < 0) continue;
  for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += E) if (strong(e)) predCount[edges[e + eToAt]! / N]!++;
}
const predStart = new Uint32Array(count + 1);
for (let v = 0; v < count; v++) predStart[v + 1] = predStart[v]! + predCount[v]!;
const preds = new Int32Array(predStart[count]!);
const fill = predStart.slice();
for (let v = 0; v < count; v++) {
  if (order[v]! < 0) continue;
  for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += E)
    if (strong(e)) {
      const w = edges[e + eToAt]! / N;
      preds[fill[w]!++] = v;
    }
}

// Cooper, Harvey and Kennedy's iterative dominators, on postorder numbers.
const idom = new Int32Array(visited).fill(-1); // by postorder number
const root = order[0]!;
idom[root] = root;
const intersect = (a: number, b: number) => {
  while (a !== b) {
    while (a < b) a = idom[a]!;
    while (b < a) b = idom[b]!;
  }
  return a;
};
for (let changed = true; changed;) {
  changed = false;
  for (let o = visited - 1; o >= 0; o--) {
    if (o === root) continue;
    const v = byOrder[o]!;
    let next = -1;
    for (let p = predStart[v]!; p < predStart[v + 1]!; p++) {
      const q = order[preds[p]!]!;
      if (q < 0 || idom[q] === -1) continue;
      next = next === -1 ? q : intersect(q, next);
    }
    if (next !== -1 && idom[o] !== next) {
      idom[o] = next;
      changed = true;
    }
  }
}

// Retained sizes: children before parents (postorder).
const retained = new Float64Array(visited);
for (let o = 0; o < visited; o++) retained[o] = nodes[byOrder[o]! * N + selfAt]!;
for (let o = 0; o < visited; o++) if (o !== root) retained[idom[o]!]! += retained[o]!;

const groupOf = (v: number) => {
  const type = nodeTypes[nodes[v * N + typeAt]!]!;
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number') return type;
  const name = strings[nodes[v * N + nameAt]!]!;
  return `${type}: ${name.length > 60 ? `${name.slice(0, 57)}...` : name}`;
};

const groups = new Map<string, { n: number; bytes: number; self: number }>();
for (let o = 0; o < visited; o++) {
  const v = byOrder[o]!;
  if (under) {
    const parent = byOrder[idom[o]!]!;
    if (strings[nodes[parent * N + nameAt]!] !== under || o === root) continue;
  }
  const key = groupOf(v);
  const g = groups.get(key) ?? { n: 0, bytes: 0, self: 0 };
  g.n++;
  g.bytes += retained[o]!;
  g.self += nodes[v * N + selfAt]!;
  groups.set(key, g);
}
const rows = [...groups].filter(([, g]) => g.n / per >= min).sort((a, b) => b[1].bytes - a[1].bytes);
console.log(
  `${visited} reachable nodes; ${under ? `dominated directly by ${under}; ` : ''}` +
    `retained bytes and count per subscriber (${per})`,
);
console.log('retained/sub  self/sub  count/sub  group');
for (const [key, g] of rows.slice(0, top))
  console.log(
    `${(g.bytes / per).toFixed(0).padStart(12)}  ${(g.self / per).toFixed(0).padStart(8)}  ` +
      `${(g.n / per).toFixed(2).padStart(9)}  ${key}`,
  );

if (treeName) {
  const children = new Map<number, number[]>();
  for (let o = 0; o < visited; o++) {
    if (o === root) continue;
    const list = children.get(idom[o]!) ?? [];
    list.push(o);
    children.set(idom[o]!, list);
  }
  const edgeName = (from: number, to: number) => {
    const nameOrIndexAt = ef.indexOf('name_or_index');
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e += E) {
      if (edges[e + eToAt]! / N !== to) continue;
      const type = edgeTypes[edges[e + eTypeAt]!]!;
      const n = edges[e + nameOrIndexAt]!;
      return type === 'element' || type === 'hidden'
        ? `[${n}]`
        : `${type === 'property' ? '' : `${type}:`}${strings[n]}`;
    }
    return '(indirect)';
  };
  const candidates: number[] = [];
  // `--tree NAME`, or `--tree .EDGE`: the nodes some property edge named EDGE points to.
  if (treeName.startsWith('.')) {
    const nameOrIndexAt = ef.indexOf('name_or_index');
    const property = edgeTypes.indexOf('property');
    const targets = new Set<number>();
    for (let e = 0; e < edges.length; e += E)
      if (edges[e + eTypeAt] === property && strings[edges[e + nameOrIndexAt]!] === treeName.slice(1))
        targets.add(edges[e + eToAt]! / N);
    for (const v of targets) if (order[v]! >= 0) candidates.push(order[v]!);
  } else
    for (let o = 0; o < visited; o++) if (strings[nodes[byOrder[o]! * N + nameAt]!] === treeName) candidates.push(o);
  candidates.sort((a, b) => retained[a]! - retained[b]!);
  const pick = candidates[Math.floor(candidates.length / 2)];
  const print = (o: number, level: number, via: string) => {
    console.log(
      `${'  '.repeat(level)}${via} ${groupOf(byOrder[o]!)}: ${retained[o]} B (self ${nodes[byOrder[o]! * N + selfAt]})`,
    );
    if (level >= depth) return;
    const kids = (children.get(o) ?? []).filter((c) => retained[c]! >= 100).sort((a, b) => retained[b]! - retained[a]!);
    for (const c of kids.slice(0, Number(process.env.TREE_KIDS ?? 12)))
      print(c, level + 1, edgeName(byOrder[o]!, byOrder[c]!));
  };
  console.log(`\n${candidates.length} nodes named ${treeName}; the median one:`);
  if (pick !== undefined) print(pick, 0, '');
}

if (since) {
  const old = JSON.parse(readFileSync(since, 'utf8')) as Snapshot;
  const oldIdAt = old.snapshot.meta.node_fields.indexOf('id');
  const oldIds = new Set<number>();
  for (let i = oldIdAt; i < old.nodes.length; i += old.snapshot.meta.node_fields.length) oldIds.add(old.nodes[i]!);
  const idAt = nf.indexOf('id');
  const isNew = (o: number) => !oldIds.has(nodes[byOrder[o]! * N + idAt]!);
  const nameOf = (o: number) => groupOf(byOrder[o]!);
  const roots = new Map<string, { n: number; bytes: number; via: Map<string, number> }>();
  // Who refers to each node (strong edges), to say how a root-dominated structure is reached.
  const nameOrIndexAt = ef.indexOf('name_or_index');
  const referrers = (v: number) => {
    const out: string[] = [];
    for (let p = predStart[v]!; p < predStart[v + 1]! && out.length < 4; p++) {
      const from = preds[p]!;
      for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e += E)
        if (edges[e + eToAt]! / N === v && strong(e)) {
          const type = edgeTypes[edges[e + eTypeAt]!]!;
          const n = edges[e + nameOrIndexAt]!;
          const label = type === 'element' || type === 'hidden' ? '[i]' : strings[n];
          out.push(`${label} of ${groupOf(from)}`);
          break;
        }
    }
    return out.join(' | ');
  };
  let total = 0;
  for (let o = 0; o < visited; o++) {
    if (o === root || !isNew(o) || isNew(idom[o]!)) continue;
    // A topmost new node: keyed by its group and its (old) dominator's group.
    const key = `${nameOf(o)}  <- ${nameOf(idom[o]!)}`;
    const g = roots.get(key) ?? { n: 0, bytes: 0, via: new Map<string, number>() };
    g.n++;
    g.bytes += retained[o]!;
    total += retained[o]!;
    if (g.n % 7 === 1 && g.via.size < 200) {
      const via = referrers(byOrder[o]!);
      g.via.set(via, (g.via.get(via) ?? 0) + 1);
    }
    roots.set(key, g);
  }
  console.log(
    `\nnew since ${since}: ${(total / 1024 / 1024).toFixed(1)} MiB, ${(total / per).toFixed(0)} B per subscriber, ` +
      'by topmost new dominator',
  );
  console.log('retained/sub  count/sub  new root  <- its old dominator');
  for (const [key, g] of [...roots].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
    console.log(`${(g.bytes / per).toFixed(0).padStart(12)}  ${(g.n / per).toFixed(2).padStart(9)}  ${key}`);
    if (process.env.HEAP_VIA)
      for (const [via, n] of [...g.via].sort((a, b) => b[1] - a[1]).slice(0, 4))
        console.log(`${''.padStart(24)}${n}x via ${via.slice(0, 200)}`);
  }
}
