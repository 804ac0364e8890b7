import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/remove-scratch.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Servers in tests are real and bind real ports; two files at once keeps the 2-core machine honest.
    maxWorkers: 2,
  },
});
