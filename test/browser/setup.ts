// Global setup of the `browser` test project: the pages load dist/resignal.umd.min.js, so
// build it when it is missing or older than any source file (`npm test` builds dist/ before
// it starts the browser and package suites, so this is usually a no-op).
import { ensureBuild } from '../../scripts/build.js';

export default function setup(): void {
  ensureBuild({ umd: true, report: false });
}
