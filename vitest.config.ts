import { defineConfig } from 'vitest/config';

// Three tiers, run one after another (sequence.groupOrder), each with the parallelism it holds on
// this 2-core machine without flakes (docs/testing.md): `npm test` runs them all,
// `npm run test:unit` / `test:scenario` / `test:hardening` one.
const tier = (name: string, include: string[], groupOrder: number, maxWorkers: number) => ({
  extends: true as const,
  test: { name, include, sequence: { groupOrder }, maxWorkers },
});

export default defineConfig({
  // The workspace's packages are read from their sources (the export condition scripts/build.mjs names).
  resolve: { conditions: ['leasehold-source'] },
  ssr: { resolve: { conditions: ['leasehold-source'] } },
  test: {
    // Once per run: build what tests spawn, and make the empty PGlite cluster that tests copy.
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // A loaded 2-core machine runs servers, browsers and the tests at once: a poll gets 15 s, not 1.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    projects: [
      // Beside the code: domain functions, stores, routes through inject or loopback.
      tier('unit', ['packages/*/src/**/*.test.ts', 'test/docs/**/*.test.ts'], 0, 2),
      // The product end to end: the CLI in-process, servers as real processes on loopback.
      tier('scenario', ['test/scenarios/**/*.test.ts', 'test/support/**/*.test.ts'], 1, 3),
      // Attacks, crash loops, fuzzing, load and Chromium: the heaviest.
      tier(
        'hardening',
        ['test/hardening/**/*.test.ts', 'test/adversary/**/*.test.ts', 'test/browser/**/*.test.ts'],
        2,
        2,
      ),
    ],
  },
});
