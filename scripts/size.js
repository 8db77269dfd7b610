// The byte budget of the Node entry: dist/index.js minified by esbuild, then gzipped at level 9.
// Prints the size (also when over budget) and exits 1 above the budget.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

const BUDGET = 2048;
const entry = 'dist/index.js';
const { outputFiles } = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  legalComments: 'none',
  write: false,
});
const minified = outputFiles[0].contents;
const bytes = gzipSync(minified, { level: 9 }).length;
const over = bytes > BUDGET;
console.log(`${entry}: ${bytes} B minified + gzipped (${minified.length} B minified), budget ${BUDGET} B${over ? `: OVER by ${bytes - BUDGET} B` : ''}`);
if (over) process.exitCode = 1;
