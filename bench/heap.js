// Child process (run with --expose-gc): heap bytes the library keeps per registration.
//   node --expose-gc bench/heap.js <contender> <registrations> same|distinct <number of arguments>
// `same`: one no-op function registered N times. `distinct`: N different closures, created
// before the first reading, so only what the library keeps is counted. Arguments are small
// integers (no allocation of their own): what is counted is how the library stores them.
// The values the registration calls return (peers' removers) are dropped, as a caller would.
import { writeSync } from 'node:fs';
import { load } from './contenders.js';

const [name, n, how, argc] = process.argv.slice(2).map((v, i) => (i === 1 || i === 3 ? Number(v) : v));
const c = await load(name);
const noop = () => {};
const fns = how === 'same' ? [noop] : Array.from({ length: n }, (_, i) => () => i);
c.add(() => {}); // listeners and first allocations are not per-registration costs

const settle = () => {
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const before = settle();
if (how === 'same') {
  if (argc === 0) for (let i = 0; i < n; i++) c.add(noop);
  else for (let i = 0; i < n; i++) c.add(noop, i, i + 1);
} else {
  if (argc === 0) for (let i = 0; i < n; i++) c.add(fns[i]);
  else for (let i = 0; i < n; i++) c.add(fns[i], i, i + 1);
}
const after = settle();
writeSync(1, `${JSON.stringify({ mode: 'heap', name, bytes: (after - before) / n, n, how, argc, kept: fns.length })}\n`);
process.exit(0); // the handlers are not the point here; skip running them
