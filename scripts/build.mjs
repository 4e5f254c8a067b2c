// `npm run build`: compiles src/ to dist/ (tsc, tsconfig.build.json) from a clean dist/, then bundles the
// dashboard (Vite, dashboard/vite.config.ts) into dist/dashboard/, which the gateway serves at /dashboard.
// `node scripts/build.mjs --if-stale` (npm's `prestart`, the tests, `npm run demo`): builds each part only
// when it is missing or older than what it is built from: the gateway from src/, schema/, the package
// files and the tsconfigs; the dashboard from dashboard/ and the package files. Without src/ (an image
// holding only dist/) there is nothing to build. `--dashboard` builds (or, with --if-stale, checks) the
// dashboard alone.
// Plain JavaScript on purpose: it runs before anything is compiled, with or without dev dependencies.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const PACKAGE_FILES = ['package.json', 'package-lock.json'];
const GATEWAY = {
  name: 'dist/',
  entry: join(root, 'dist', 'main.js'),
  inputs: ['src', 'schema', ...PACKAGE_FILES, 'tsconfig.json', 'tsconfig.build.json'],
};
const DASHBOARD = {
  name: 'dist/dashboard/',
  entry: join(root, 'dist', 'dashboard', 'index.html'),
  inputs: ['dashboard', ...PACKAGE_FILES],
};

/** The newest modification time under `path` (a file or a folder), 0 when it does not exist. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** Why a part needs a build, or undefined when it is up to date. */
function staleness(part) {
  if (!existsSync(part.entry)) return `${part.entry.slice(root.length + 1)} is missing`;
  const built = statSync(part.entry).mtimeMs;
  const changed = part.inputs.filter((input) => newest(join(root, input)) > built);
  return changed.length > 0 ? `changed since the last build: ${changed.join(', ')}` : undefined;
}

/** A dev dependency's file, or a clear exit when it is not installed (a production install). */
function resolveTool(specifier, what) {
  try {
    return require.resolve(specifier);
  } catch {
    console.error(`batchql build: ${what} is not installed (a production install?); run \`npm ci\` first`);
    process.exit(1);
  }
}

function buildGateway() {
  const tsc = resolveTool('typescript/bin/tsc', 'typescript');
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('batchql build: tsc failed; dist/ was not written');
    process.exit(result.status ?? 1);
  }
  copySdl(join(root, 'src'), join(root, 'dist'));
}

/** Each provider's SDL (`src/providers/<name>/schema.graphql`) goes beside its compiled definition, which reads it. */
function copySdl(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copySdl(join(from, entry.name), join(to, entry.name));
    else if (entry.name.endsWith('.graphql')) {
      mkdirSync(to, { recursive: true });
      copyFileSync(join(from, entry.name), join(to, entry.name));
    }
  }
}

function buildDashboard() {
  const vite = join(dirname(resolveTool('vite/package.json', 'vite')), 'bin', 'vite.js');
  const result = spawnSync(
    process.execPath,
    [
      vite,
      'build',
      join(root, 'dashboard'),
      '--config',
      join(root, 'dashboard', 'vite.config.ts'),
      '--logLevel',
      'warn',
    ],
    { stdio: 'inherit', cwd: root },
  );
  if (result.status !== 0) {
    console.error('batchql build: vite failed; dist/dashboard/ was not written');
    process.exit(result.status ?? 1);
  }
  // The dashboard's documents by id (graphql-codegen's client preset), which the gateway always loads from here:
  // the page sends ids, so it works when the gateway runs only persisted documents (docs/persisted-documents.md).
  copyFileSync(
    join(root, 'dashboard', 'src', '__generated__', 'persisted-documents.json'),
    join(root, 'dist', 'dashboard', 'persisted-documents.json'),
  );
}

const dashboardOnly = process.argv.includes('--dashboard');
if (process.argv.includes('--if-stale')) {
  if (!existsSync(join(root, 'src'))) {
    if (!existsSync(GATEWAY.entry)) {
      console.error('batchql build: neither src/ nor dist/main.js is here; nothing to start');
      process.exit(1);
    }
  } else {
    if (!dashboardOnly) {
      const reason = staleness(GATEWAY);
      if (reason) {
        console.error(`batchql build: building dist/ (${reason})`);
        buildGateway();
      }
    }
    const reason = existsSync(join(root, 'dashboard')) ? staleness(DASHBOARD) : undefined;
    if (reason) {
      console.error(`batchql build: building dist/dashboard/ (${reason})`);
      buildDashboard();
    }
  }
} else {
  if (!dashboardOnly) buildGateway();
  buildDashboard();
}
