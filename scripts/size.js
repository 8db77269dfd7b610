// The byte guard of the package's entries: each bundled and minified by esbuild, then gzipped
// at level 9. Prints every size (also when over) and exits 1 if one is over its budget.
// The budgets sit a little above today's sizes, so that growth is a decision: raise one in the
// commit that needs it, and say why there and in CHANGELOG.md.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

const budgets = { 'dist/index.js': 10000, 'dist/browser.js': 5700 };
let over = false;
for (const [entry, budget] of Object.entries(budgets)) {
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
  console.log(`${entry}: ${bytes} B minified + gzipped (${minified.length} B minified), budget ${budget} B${bytes > budget ? `: OVER by ${bytes - budget} B` : ''}`);
  over ||= bytes > budget;
}
if (over) process.exitCode = 1;
