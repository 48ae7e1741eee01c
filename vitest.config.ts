// The whole test suite: every workspace's tests, run against a fresh real PostgreSQL database per run.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'server/src/**/*.test.ts',
      'bots/**/*.test.ts',
      'bench/src/**/*.test.ts',
      'apps/*/src/**/*.test.{ts,tsx}',
      'e2e/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['server/src/testing/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
