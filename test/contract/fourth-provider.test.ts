import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Issue 25, "a fourth provider, proved": docs/adding-a-provider.md followed to the letter in a copy of this
 * repository. The template provider (test/fixtures/provider-template/, a read-only provider with a simulator)
 * becomes `src/providers/toy/`; its word joins the union, its definition the list, its simulator the registry;
 * then `npm run codegen`, the type check and the generic tests, which name no provider, run there with the toy
 * among the providers. Before the list line, the compiler names the file that still lacks it. Nothing is cast.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEMPLATE = join(ROOT, 'test/fixtures/provider-template');
/** What is not copied: installed and built files (node_modules is linked instead). */
const SKIP = new Set(['node_modules', '.git', 'dist', 'test-results', 'coverage', '.vitest-results.json']);
/** The generic tests that must cover the new provider unchanged. */
const TESTS = ['test/contract/batch-provider.contract.test.ts', 'test/gateway/every-provider.test.ts'];
/** Every existing file the guide edits for a read-only provider with a simulator, and what regenerates. */
const EDITED = ['src/dev/simulators/registry.ts', 'src/providers/index.ts', 'src/providers/names.ts'];
const GENERATED =
  /^(schema\.graphql|docs\/configuration\.md|src\/graphql\/__generated__\/.*|dashboard\/src\/__generated__\/.*)$/;

let copy: string;
/** The copy's files as copied, before the guide's edits. */
let copied: Map<string, Buffer>;
const timings: string[] = [];

/** Runs `node <args>` (this test's Node) in the copy; exit code and output, timed. */
function node(args: string[]): Promise<{ code: number; output: string }> {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
    // Plain output for failure messages.
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  // The vitest run inside must not think it is a worker of this one.
  for (const name of Object.keys(env)) if (name.startsWith('VITEST')) delete env[name];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: copy, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      timings.push(`${args.slice(0, 2).join(' ')}: ${Date.now() - started} ms`);
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** A command that must succeed; its output is the failure message when it does not. */
async function succeeds(args: string[]): Promise<string> {
  const { code, output } = await node(args);
  expect(code, `node ${args.join(' ')} exited with ${code}:\n${output}`).toBe(0);
  return output;
}

/** `npm run <name>`: each `&&` step of the script, a binary of node_modules/.bin, run by this Node. */
async function npmRun(name: string): Promise<void> {
  const { scripts } = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  for (const step of scripts[name]!.split('&&')) {
    const [bin, ...args] = step.trim().split(/\s+/);
    expect(existsSync(join(copy, 'node_modules/.bin', bin!)), `npm run ${name}: ${bin} in node_modules/.bin`).toBe(
      true,
    );
    await succeeds([`node_modules/.bin/${bin}`, ...args]);
  }
}

/** Replaces `find` in a file of the copy, which must hold it once. */
function edit(file: string, find: RegExp, replace: (match: string) => string): void {
  const path = join(copy, file);
  const text = readFileSync(path, 'utf8');
  expect(text.match(new RegExp(find.source, `${find.flags}g`)), `${file}: ${find}`).toHaveLength(1);
  writeFileSync(path, text.replace(find, replace));
}

/** Files of a tree, relative to it, without what is not copied. */
function files(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(root, path) : [relative(root, path)];
  });
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'batchql-fourth-provider-'));
  cpSync(ROOT, copy, { recursive: true, filter: (source) => !SKIP.has(source.split(/[\\/]/).pop()!) });
  for (const modules of ['node_modules', 'dashboard/node_modules'])
    if (existsSync(join(ROOT, modules))) symlinkSync(realpathSync(join(ROOT, modules)), join(copy, modules), 'dir');
  copied = new Map(files(copy).map((file) => [file, readFileSync(join(copy, file))]));
});
afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
  console.log(`fourth provider: ${timings.join(', ')}`);
});

describe('the template provider, added by docs/adding-a-provider.md', () => {
  it('is written without casts', () => {
    for (const file of files(TEMPLATE).filter((f) => f.endsWith('.ts')))
      expect(readFileSync(join(TEMPLATE, file), 'utf8'), file).not.toMatch(
        /\bas\s+(unknown|any|never|ProviderName|Batch\w*|\w+Definition)\b/,
      );
  });

  it('takes a folder, a word, a list line and a registry line (the compiler asks for the list)', async () => {
    // 1. The folder.
    cpSync(TEMPLATE, join(copy, 'src/providers/toy'), { recursive: true });
    // 2. The word in the union.
    edit('src/providers/names.ts', /export type ProviderName = [^;]+/, (union) => `${union} | 'TOY'`);

    // Without the list line, the type check fails and names the list's file.
    const before = await node(['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']);
    expect(before.code, before.output).not.toBe(0);
    expect(before.output).toMatch(/src\/providers\/index\.ts\(\d+,\d+\): error TS\d+: Property 'TOY' is missing/);

    // 3. The list line: the import and the entry under its name.
    edit('src/providers/index.ts', /^import \{ reach \} from '\.\/reach\/index\.js';$/m, (line) => {
      return `${line}\nimport { toy } from './toy/index.js';`;
    });
    edit('src/providers/index.ts', /^ {2}FACT_CHECK: factCheck,$/m, (line) => `${line}\n  TOY: toy,`);
    // 4. The simulator's registry line.
    edit('src/dev/simulators/registry.ts', /^import \{ reachSimulator \} from .*$/m, (line) => {
      return `${line}\nimport { toySimulator } from '../../providers/toy/simulator/definition.js';`;
    });
    edit(
      'src/dev/simulators/registry.ts',
      /factCheckSimulator\] as const/,
      () => 'factCheckSimulator, toySimulator] as const',
    );

    // 5. `npm run codegen`.
    await npmRun('codegen');
    expect(readFileSync(join(copy, 'schema.graphql'), 'utf8')).toMatch(/type ToyBatch implements Batch & Node/);

    // Nothing else changed: the new folder, the three edited files and the generated ones.
    const changed = files(copy).filter((file) => !copied.get(file)?.equals(readFileSync(join(copy, file))));
    expect(changed.filter((f) => !f.startsWith('src/providers/toy/') && !GENERATED.test(f)).sort()).toEqual(EDITED);

    // The type check (the gateway's and the dashboard's) and the generic tests, with the toy among the providers.
    await npmRun('typecheck');
    await succeeds(['node_modules/vitest/vitest.mjs', 'run', ...TESTS]);
    const report = JSON.parse(readFileSync(join(copy, '.vitest-results.json'), 'utf8')) as {
      testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
    };
    for (const test of TESTS) {
      const results = report.testResults.find((r) => r.name.endsWith(test))!.assertionResults;
      const toy = results.filter((r) => /\bTOY\b/.test(r.fullName));
      expect(toy.length, `${test} ran for TOY`).toBeGreaterThan(3);
      expect(toy.filter((r) => r.status !== 'passed' && r.status !== 'skipped')).toEqual([]);
    }
  }, 120_000);
});
