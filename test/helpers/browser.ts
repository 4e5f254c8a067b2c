import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** `CHROMIUM_PATH`, else the first chromium on the PATH (Debian's package; never a downloaded browser). */
export function chromiumPath(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return configured;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found && existsSync(found)) return found;
    } catch {
      // not on the PATH; try the next name
    }
  }
  throw new Error('the browser tests need chromium (apt-get install chromium) or CHROMIUM_PATH');
}

/**
 * Headless chromium as the browser tests run it: `--no-sandbox` (CI runs as root), and a resolver
 * that knows only loopback, so nothing a page loads can come from elsewhere.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    ],
  });
}
