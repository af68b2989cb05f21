import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // A loaded 2-core machine runs servers, browsers and the tests at once: a poll gets 15 s, not 1.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
  },
});
