// Builds dist/: one bundle per runtime (the same src/index.ts with src/runtime.ts pointed at
// that runtime's adapter), plus declarations for ESM and CommonJS consumers.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const adapter = (name) => ({
  name: `runtime-${name}`,
  setup(b) {
    b.onResolve({ filter: /^\.\/runtime\.ts$/ }, () => ({ path: new URL(`../src/runtimes/${name}.ts`, import.meta.url).pathname }));
  },
});
const bundles = [
  { runtime: 'node', format: 'esm', outfile: 'dist/index.js' },
  { runtime: 'node', format: 'cjs', outfile: 'dist/index.cjs' },
  { runtime: 'deno', format: 'esm', outfile: 'dist/deno.js' },
  { runtime: 'browser', format: 'esm', outfile: 'dist/browser.js' },
];

rmSync('dist', { recursive: true, force: true });
for (const { runtime, format, outfile } of bundles) {
  await build({
    entryPoints: ['src/index.ts'],
    bundle: true,
    format,
    outfile,
    target: 'es2022',
    platform: 'neutral',
    plugins: [adapter(runtime)],
    legalComments: 'none',
    // JSR (jsr.json) publishes dist/deno.js; this tells Deno where its declarations are.
    ...(runtime === 'deno' && { banner: { js: '/* @ts-self-types="../src/index.ts" */' } }),
    // `--sourcemap` (npm run coverage): dist/*.map lets c8 map the bundles back to src/*.ts. They
    // are not published: they would double the package for a consumer who has no src/ to map to.
    sourcemap: process.argv.includes('--sourcemap'),
  });
}

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
// Declarations keep the source's `.ts` specifiers; published ones must name `.js`.
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const file of walk('dist/types')) {
  writeFileSync(file, readFileSync(file, 'utf8').replace(/(from '\.{1,2}\/[^']*)\.ts'/g, "$1.js'"));
}
// TypeScript before 5.4 has no NoInfer: package.json's `types@<5.4` conditions point it at a copy
// of index.d.ts without it (the arguments are still checked; only a decorator on an instance
// method is then not refused at compile time).
const index = readFileSync('dist/types/index.d.ts', 'utf8');
const legacy = index.replaceAll('...args: NoInfer<Parameters<F>>', '...args: Parameters<F>'); // register() and defer()
if (legacy === index) throw new Error('build: NoInfer<Parameters<F>> not found in dist/types/index.d.ts');
writeFileSync('dist/types/index-ts5.0.d.ts', legacy);
// The same declarations, read as CommonJS, for `require` (a .d.cts that re-exports the ESM ones
// would be shorter, but TypeScript then misreads the CommonJS default export: attw flags it).
cpSync('dist/types', 'dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
