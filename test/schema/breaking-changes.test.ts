/**
 * Schema change control (issue 28): a breaking change since `schema.released.graphql` fails `npm test`
 * (`npm run schema:breaking`) until CHANGELOG.md's "Unreleased → Breaking" section names its schema coordinate.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import {
  breakingChanges,
  RELEASED_SCHEMA_FILE,
  unannounced,
  unreleasedBreaking,
} from '../../scripts/breaking-changes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const printed = read('schema.graphql');

/** The printed schema without `Query.providers` (a planted removal). */
const withoutProviders = printed.replace(
  /\n *"""\n *Every provider this gateway knows[^\n]*\n *"""\n *providers: [^\n]*\n/,
  '\n',
);

const changelog = (breaking: string) =>
  `# Changelog\n\n## Unreleased\n\nWhat exists today.\n\n### Some issue\n\n- A change.\n${breaking}\n## 0.0.9\n\n` +
  '### Breaking\n\n- `Query.providers` was removed long ago.\n';

it('holds: the printed schema breaks nothing of the released one, or CHANGELOG.md names it', async () => {
  expect(unannounced(await breakingChanges(read(RELEASED_SCHEMA_FILE), printed), read('CHANGELOG.md'))).toEqual([]);
});

it('names a planted removal by its coordinate, and fails until "Unreleased → Breaking" names it', async () => {
  expect(withoutProviders).not.toBe(printed);
  const changes = await breakingChanges(printed, withoutProviders);
  expect(changes).toEqual([
    { coordinate: 'Query.providers', message: "Field 'providers' was removed from object type 'Query'" },
  ]);
  // Not named, named under an older release, or named as another coordinate: still unannounced.
  expect(unannounced(changes, changelog(''))).toEqual(changes);
  expect(unannounced(changes, changelog('\n### Breaking\n\n- `Query.providersList` is new.\n'))).toEqual(changes);
  expect(unannounced(changes, changelog('\n### Breaking\n\n- `Query.providers` was removed.\n'))).toEqual([]);
});

it('names arguments, enum values, types and directives by their coordinates', async () => {
  const before =
    'type Query { a(x: Int, y: Int): E  b: T }  enum E { ONE TWO }  type T { c: Int }  directive @d(q: Int) on FIELD';
  const after = 'type Query { a(x: Int, z: Int!): E  b: Int }  enum E { ONE }';
  expect((await breakingChanges(before, after)).map((c) => c.coordinate).sort()).toEqual([
    '@d',
    'E.TWO',
    'Query.a(y:)',
    'Query.a(z:)',
    'Query.b',
    'T',
  ]);
});

it('reads only the Breaking section of Unreleased', () => {
  const text = changelog('\n### Breaking\n\n- `Query.a` removed.\n\n### Later issue\n\n- `Query.b` changed.\n');
  expect(unreleasedBreaking(text)).toContain('Query.a');
  expect(unreleasedBreaking(text)).not.toContain('Query.b');
  expect(unreleasedBreaking(text)).not.toContain('Query.providers');
});

it('`npm run schema:breaking` exits 1 on a planted removal and 0 once CHANGELOG.md names it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'batchql-breaking-'));
  try {
    copyFileSync(join(ROOT, 'schema.graphql'), join(dir, RELEASED_SCHEMA_FILE));
    writeFileSync(join(dir, 'schema.graphql'), withoutProviders);
    const run = () =>
      spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts/check-breaking.ts')],
        {
          cwd: dir,
          encoding: 'utf8',
        },
      );
    writeFileSync(join(dir, 'CHANGELOG.md'), changelog(''));
    const failed = run();
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('Query.providers');
    writeFileSync(join(dir, 'CHANGELOG.md'), changelog('\n### Breaking\n\n- `Query.providers` is gone.\n'));
    expect(run().status, run().stderr).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
