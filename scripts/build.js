// Builds dist/: one bundle per runtime (the same src/index.ts with src/runtime.ts pointed at
// that runtime's adapter), plus declarations for ESM and CommonJS consumers.
import { build } from 'esbuild';
import { generateDtsBundle } from 'dts-bundle-generator';
import { rmSync, writeFileSync } from 'node:fs';

const adapter = (name) => ({
  name: `runtime-${name}`,
  setup(b) {
    b.onResolve({ filter: /^\.\/runtime\.ts$/ }, () => ({ path: new URL(`../src/runtimes/${name}.ts`, import.meta.url).pathname }));
    // A page has no signals, exit status or output to wait for, nor a server for use() to shut
    // down: it gets src/ending-browser.ts, src/signals-browser.ts and src/server-browser.ts.
    if (name === 'browser') b.onResolve({ filter: /^\.\.?\/(ending|signals|server)\.ts$/ }, ({ path }) => ({ path: new URL(`../src/${path.replace(/^.*\//, '').replace('.ts', '-browser.ts')}`, import.meta.url).pathname }));
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

// Declarations: one bundled file per module format, made from the source by a maintained
// bundler, so a consumer sees the public surface only (no internal module's types).
const [bundled] = generateDtsBundle([{ filePath: 'src/index.ts', output: { noBanner: true, exportReferencedTypes: false } }], {
  preferredConfigPath: 'tsconfig.json',
});
// TypeScript before 5.4 has no NoInfer: package.json's `types@<5.4` conditions point it at a copy
// without it (the arguments are still checked; only a decorator on an instance method is then
// not refused at compile time).
const legacy = bundled.replaceAll('...args: NoInfer<Parameters<F>>', '...args: Parameters<F>'); // register() and defer()
if (legacy === bundled) throw new Error('build: NoInfer<Parameters<F>> not found in the bundled declarations');
// The same text serves `import` (.d.ts) and `require` (.d.cts): TypeScript reads the .d.cts as
// CommonJS, where `export default` is `exports.default`, as the CommonJS bundle has it. (A .d.cts
// re-exporting the .d.ts would be shorter, but TypeScript then misreads that default: attw says so.)
for (const [name, text] of [['index', bundled], ['index-ts5.0', legacy]]) {
  writeFileSync(`dist/${name}.d.ts`, text);
  writeFileSync(`dist/${name}.d.cts`, text);
}
