#!/usr/bin/env node
// The `leasehold` program: the bundle `npm run build` writes (packages/cli/dist), plain JavaScript run by
// Node with no loader (docs/architecture.md, "Build").
let cli;
try {
  cli = await import('../dist/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/main.js')) throw error;
  process.stderr.write('error NOT_BUILT: the leasehold program is not built: run npm run build\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv);
