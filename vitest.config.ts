import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The JSON report feeds the closing line of .ci/run.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
