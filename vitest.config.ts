import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Node (npm start) loads graphql's CommonJS build for us and for every dependency; Vite would
  // hand our own sources the ESM build, a second copy whose instanceof checks reject the first's
  // types. One copy in tests too.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Each test file's own DATA_DIR (the ledger's folder) for the gateways it spawns.
    setupFiles: ['test/setup/data-dir.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The JSON report feeds the closing line of .ci/run.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
