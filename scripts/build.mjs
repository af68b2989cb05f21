#!/usr/bin/env node
// Builds every package to dist/: ESM JavaScript with esbuild, .d.ts with TypeScript (docs/architecture.md, "Build").
// Plain JavaScript on purpose: `npm install` runs it (the root `prepare`) before anything could load TypeScript.
//   node scripts/build.mjs            everything: the Manager, the libraries with types, the CLI
//   node scripts/build.mjs --js       only the JavaScript (what tests run; under a second)
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The export condition under which the workspace (vitest, tsc, the CLI bundle) reads a package's sources. */
export const SOURCE_CONDITION = 'leasehold-source';

const LIBRARIES = ['protocol', 'client', 'server', 'central'];

/** A library's entry points beyond `src/index.ts`: its package.json subpath exports. */
const MORE_ENTRIES = { server: ['src/http.ts'] };

// Left to Node at run time: native code (better-sqlite3), WebAssembly and its data files (PGlite),
// drivers and loggers that load files or workers by path (pg, pino), and the Manager's web build,
// which is found through its package.
const CLI_EXTERNAL = ['better-sqlite3', '@electric-sql/pglite', 'pg', 'pino', '@leasehold/manager'];

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  conditions: [SOURCE_CONDITION],
};

/** A library: its own sources bundled per entry point (shared code in chunks); every package it imports stays an import. */
export async function buildLibrary(name) {
  const dir = join(ROOT, 'packages', name);
  await build({
    ...common,
    absWorkingDir: dir,
    entryPoints: ['src/index.ts', ...(MORE_ENTRIES[name] ?? [])],
    outdir: 'dist',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    packages: 'external',
  });
}

/**
 * The `leasehold` program: one bundle with the workspace and its pure-JavaScript dependencies, split
 * at the CLI's lazy imports so a command loads only its own tree. One file read instead of hundreds
 * of module resolutions is most of a fast start (docs/performance.md, "CLI start").
 */
export async function buildCli() {
  const dir = join(ROOT, 'packages', 'cli');
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  await build({
    ...common,
    absWorkingDir: dir,
    entryPoints: ['src/main.ts'],
    outdir: 'dist',
    splitting: true,
    // Less to parse at each start; names kept for stack traces and for libraries that read them.
    minify: true,
    keepNames: true,
    chunkNames: 'chunks/[name]-[hash]',
    external: CLI_EXTERNAL.flatMap((p) => [p, `${p}/*`]),
    // Bundled CommonJS dependencies call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __leaseholdRequire } from 'node:module'; const require = __leaseholdRequire(import.meta.url);",
    },
  });
}

/** Every package's JavaScript: what tests spawn and import from outside the workspace (vitest's globalSetup). */
export async function buildJavaScript() {
  await Promise.all([...LIBRARIES.map(buildLibrary), buildCli()]);
}

/**
 * .d.ts files beside the JavaScript, from the package's own sources (tsconfig.build.json), in
 * dependency order: a package's declarations refer to the built declarations of those it imports.
 */
export function buildTypes(names = LIBRARIES) {
  for (const name of names) buildTypesOf(name);
}

function buildTypesOf(name) {
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const result = spawnSync(tsc, ['-p', join(ROOT, 'packages', name, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`type declarations of ${name} failed`);
}

function buildManager() {
  const result = spawnSync('npm', ['run', 'build', '--workspace', '@leasehold/manager'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('the Manager web build failed');
}

async function main(args) {
  const started = performance.now();
  const jsOnly = args.includes('--js');
  // A full build starts from empty folders, so no declaration of a deleted module lingers.
  if (!jsOnly)
    for (const name of LIBRARIES)
      rmSync(join(ROOT, 'packages', name, 'dist'), { recursive: true, force: true });
  if (!jsOnly) buildManager();
  await buildJavaScript();
  if (!jsOnly) buildTypes();
  const ms = Math.round(performance.now() - started);
  process.stdout.write(`built ${jsOnly ? 'the JavaScript of every package' : 'every package'} in ${ms} ms\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
