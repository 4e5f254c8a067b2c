import { describe, expect, it } from 'vitest';
import { packageOf, profileTables, summariseProfile, type CpuProfile } from '../../bench/profile/cpuprofile.js';

const ROOT = '/work/batchql';
const frame = (id: number, functionName: string, url = '', lineNumber = 0) => ({
  id,
  callFrame: { functionName, url, lineNumber, columnNumber: 0 },
});

/** Samples 1 ms apart: `stack[i]` is the node on top at sample i. */
function profile(stack: number[]): CpuProfile {
  return {
    nodes: [
      frame(1, '(root)'),
      frame(2, '(idle)'),
      frame(3, '(garbage collector)'),
      frame(4, 'execute', 'file:///x/node_modules/graphql/execution/execute.js', 9),
      frame(5, 'resolveBatch', `file://${ROOT}/dist/graphql/load-batch.js`, 41),
      frame(6, 'handle', 'file:///x/node_modules/@whatwg-node/server/cjs/index.js'),
      frame(7, 'emit', 'node:events', 470),
    ],
    startTime: 0,
    endTime: stack.length * 1000,
    samples: stack,
    timeDeltas: stack.map(() => 1000),
  };
}

describe('packageOf', () => {
  it('names node_modules packages (scoped ones whole, the innermost one), the project, Node and V8', () => {
    expect(packageOf('file:///a/node_modules/pino/lib/x.js', 'f', ROOT)).toBe('pino');
    expect(packageOf('file:///a/node_modules/@envelop/core/cjs/x.js', 'f', ROOT)).toBe('@envelop/core');
    expect(packageOf('file:///a/node_modules/x/node_modules/y/i.js', 'f', ROOT)).toBe('y');
    expect(packageOf(`file://${ROOT}/dist/server.js`, 'f', ROOT)).toBe('batchql src');
    expect(packageOf('file:///elsewhere/a.js', 'f', ROOT)).toBe('other');
    expect(packageOf('node:internal/streams/readable', 'f', ROOT)).toBe('node:internal');
    expect(packageOf('', '(garbage collector)', ROOT)).toBe('(garbage collector)');
    expect(packageOf('', 'writev', ROOT)).toBe('(native)');
  });
});

describe('summariseProfile', () => {
  it('counts self time by function and package as shares of busy time, idle left out', () => {
    // 10 samples of 1 ms: 2 idle, 4 in graphql, 2 in ours, 1 GC, 1 in node:events.
    const s = summariseProfile(profile([2, 4, 4, 5, 3, 4, 4, 5, 7, 2]), { projectRoot: ROOT });
    expect(s.totalMs).toBe(10);
    expect(s.idleMs).toBe(2);
    expect(s.busyMs).toBe(8);
    expect(s.functions[0]).toMatchObject({ name: 'execute', location: 'graphql execution/execute.js:10', percent: 50 });
    expect(s.functions[1]).toMatchObject({
      name: 'resolveBatch',
      location: 'dist/graphql/load-batch.js:42',
      percent: 25,
    });
    expect(s.packages.map((p) => [p.name, p.percent])).toEqual([
      ['graphql', 50],
      ['batchql src', 25],
      ['(garbage collector)', 12.5],
      ['node:internal', 12.5],
    ]);
    expect(profileTables(s)).toContain('| `execute` | graphql execution/execute.js:10 | 50.0 % |');
  });

  it('keeps only the samples inside the window and honours top', () => {
    // Samples at 1..10 ms; 3 to 6 ms holds 6, 6, 4, 4.
    const s = summariseProfile(profile([5, 5, 6, 6, 4, 4, 5, 5, 5, 5]), {
      projectRoot: ROOT,
      fromMs: 3,
      toMs: 6,
      top: 1,
    });
    expect(s.totalMs).toBe(4);
    expect(s.functions).toHaveLength(1);
    expect(s.functions[0]!.name).toBe('handle');
    expect(s.packages.map((p) => p.name)).toEqual(['@whatwg-node/server', 'graphql']);
  });
});
