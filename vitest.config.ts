import { defineConfig } from 'vitest/config';

// Two projects so that only a run that includes test/package/ pays for the build, the
// `npm pack` and the install of the tarball (test/package/setup.ts, once per run).
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'source',
          include: ['test/**/*.test.ts'],
          exclude: ['test/package/**', '**/node_modules/**'],
          // Type-level tests (expectTypeOf): checked by tsc, never run.
          typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: 'tsconfig.json', ignoreSourceErrors: true },
        },
      },
      {
        extends: true,
        test: {
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          globalSetup: ['test/package/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
