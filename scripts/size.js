// The byte budget of the Node entry: dist/index.js minified by esbuild, then gzipped at level 9.
// Prints the size (also when over budget) and exits 1 above the budget.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

// The goal set for this entry is 2 kB (2048 B). It is not met: the contract (async runs with a
// deadline, exit requests, hostile-value reporting, decorators, one registry shared by every
// copy, Bun's quirks) measured about 3.2 kB; living with other exit-hook libraries and draining
// stdout/stderr before an end (issue #9: src/company.ts, src/drain.ts) brought it to 3.8 kB.
// This budget guards against growth from there; `npm run bench` prints the 2 kB goal as NOT
// met until it is.
const GOAL = 2048;
const BUDGET = 3904;
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
console.log(
  `${entry}: ${bytes} B minified + gzipped (${minified.length} B minified), budget ${BUDGET} B${over ? `: OVER by ${bytes - BUDGET} B` : ''}` +
    `; goal ${GOAL} B ${bytes <= GOAL ? 'met' : 'NOT met'}`,
);
if (over) process.exitCode = 1;
