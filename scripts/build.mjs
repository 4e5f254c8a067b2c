// `npm run build`: compiles src/ to dist/ (tsc, tsconfig.build.json) from a clean dist/.
// `node scripts/build.mjs --if-stale` (npm's `prestart`): builds only when dist/ is missing or older
// than what it is built from (src/, schema/, package.json, package-lock.json, the tsconfigs);
// without src/ (an image holding only dist/) there is nothing to build.
// Plain JavaScript on purpose: it runs before anything is compiled, with or without dev dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['src', 'schema', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const ENTRY = join(root, 'dist', 'main.js');

/** The newest modification time under `path` (a file or a folder), 0 when it does not exist. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** Why dist/ needs a build, or undefined when it is up to date. */
function staleness() {
  if (!existsSync(ENTRY)) return 'dist/main.js is missing';
  const built = statSync(ENTRY).mtimeMs;
  const changed = INPUTS.filter((input) => newest(join(root, input)) > built);
  return changed.length > 0 ? `changed since the last build: ${changed.join(', ')}` : undefined;
}

function build() {
  let tsc;
  try {
    tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    console.error('batchql build: typescript is not installed (a production install?); run `npm ci` first');
    process.exit(1);
  }
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('batchql build: tsc failed; dist/ was not written');
    process.exit(result.status ?? 1);
  }
}

if (process.argv.includes('--if-stale')) {
  if (!existsSync(join(root, 'src'))) {
    if (!existsSync(ENTRY)) {
      console.error('batchql build: neither src/ nor dist/main.js is here; nothing to start');
      process.exit(1);
    }
  } else {
    const reason = staleness();
    if (reason) {
      console.error(`batchql build: building dist/ (${reason})`);
      build();
    }
  }
} else {
  build();
}
