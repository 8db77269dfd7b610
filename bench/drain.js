// Child process: the drain alone, in-process. N distinct no-op closures are registered; one
// timed call of runExitFuncs() (its synchronous part, which runs every handler here) is
// divided by N. Every handler is checked to have run.
//   node bench/drain.js <registrations>
// Prints one JSON line: { ns } (nanoseconds per handler).
import { writeSync } from 'node:fs';
import * as atexit from 'atexit';

const n = Number(process.argv[2]);
let ran = 0;
const fns = Array.from({ length: n }, () => () => {
  ran++;
});
for (let i = 0; i < n; i++) atexit.register(fns[i]);
const t0 = performance.now();
atexit.runExitFuncs();
const ns = ((performance.now() - t0) * 1e6) / n;
if (ran !== n || atexit.ncallbacks() !== 0) throw new Error(`expected ${n} handlers run, got ${ran}`);
writeSync(1, `${JSON.stringify({ mode: 'drain', name: 'atexit', ns, n })}\n`);
