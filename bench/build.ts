/** Builds `dist/` when stale, as `npm start`'s `prestart` does: benchmarks run the gateway as production does. */
import { spawnSync } from 'node:child_process';

export function buildIfStale(): void {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}
