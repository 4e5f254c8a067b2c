import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root (tests run from it). */
export const ROOT = process.cwd();

/**
 * Builds dist/ (`npm run build`'s script, `--if-stale`, as `npm start` does) once for every test
 * file that needs it: test files run in parallel, so the build runs under a lock directory and
 * a second caller finds it fresh.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(ROOT, 'node_modules', '.batchql-build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Held by another test file; a lock older than two minutes was left by a killed run.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    const result = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`the build failed:\n${result.stdout}\n${result.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
