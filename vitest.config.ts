import { defineConfig } from 'vitest/config';

// Separate projects so that only a run that includes test/package/ pays for the build, the
// `npm pack` and the install of the tarball (test/package/setup.ts, once per run), and so
// that the browser tests can run on their own in a network namespace (test/browser/run.ts).
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'source',
          include: ['test/**/*.test.ts'],
          exclude: ['test/package/**', 'test/browser/**', '**/node_modules/**'],
          // Real sockets and timers on a machine that may be busy: a bound on waiting for real
          // events, not a speed requirement (tests never assert wall-clock time).
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Type-level tests (expectTypeOf, test/types/): `tsc --noEmit`, the first step of
          // `npm test`, checks them with everything else; `vitest --typecheck` runs them alone.
          typecheck: { include: ['test/types/**/*.test-d.ts'], tsconfig: 'tsconfig.json', ignoreSourceErrors: true },
        },
      },
      {
        extends: true,
        test: {
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          globalSetup: ['test/package/setup.ts'],
          // Bounds on real work (tsc in a consumer app, npm install, server restarts): minutes
          // on a busy 2-core machine.
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          // Real Chromium. `npm test` runs this project on its own, in a loopback-only network
          // namespace where possible (test/browser/run.ts).
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/browser/setup.ts'],
          fileParallelism: false, // one Chromium at a time: fake-camera encoders are CPU-heavy
          // A bound on real events (a server process restarting, Chromium starting), which on a
          // busy CI machine take several times as long as on a quiet one.
          testTimeout: 150_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
