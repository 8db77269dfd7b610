// Child process: milliseconds to import one package in a fresh process (resolution, loading,
// compiling and evaluating it, plus anything it does at import time).
//   node bench/import.js <package name>
import { writeSync } from 'node:fs';

const name = process.argv[2];
const t0 = performance.now();
await import(name);
const ms = performance.now() - t0;
writeSync(1, `${JSON.stringify({ mode: 'import', name, ms })}\n`);
