import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The workspace's packages are read from their sources (the export condition scripts/build.mjs names).
  resolve: { conditions: ['leasehold-source'] },
  ssr: { resolve: { conditions: ['leasehold-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests that spawn `leasehold` run the built program: rebuild it once per run.
    globalSetup: ['test/support/buildJavaScript.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // A loaded 2-core machine runs servers, browsers and the tests at once: a poll gets 15 s, not 1.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
  },
});
