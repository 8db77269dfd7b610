// Child process: per-call cost of register, or of unregister at a given registry size, for one
// contender, measured with tinybench. Each tinybench sample is one batch of calls timed as a
// whole (a single call is too short for the clock); the sample is the batch's mean per call.
//   node bench/micro.js register   <contender> arrow|function
//   node bench/micro.js unregister <contender> <registrations> <removals per batch> <batches>
//   node bench/micro.js batch      <contender> <registrations>
// Prints one JSON line: { ns } (nanoseconds per call).
import { writeSync } from 'node:fs';
import { Bench } from 'tinybench';
import { load } from './contenders.js';

const [mode, name, ...rest] = process.argv.slice(2);
const c = await load(name);
const now = () => performance.now();
const done = (result) => writeSync(1, `${JSON.stringify({ mode, name, ...result })}\n`);

if (mode === 'register') {
  // Batches of 1 000 closures never registered before (as in a real program, where each
  // function is usually registered once), made untimed before each sample; the batch is undone
  // untimed after it. `kind` is `arrow` (() => {}) or `function` (function () {}). One
  // registration stays throughout so no library tears down and reinstalls its process listeners
  // between batches.
  const [kind] = rest;
  const K = 1000;
  const make = kind === 'function' ? (i) => function handler() { return i; } : (i) => () => i;
  const batch = () => Array.from({ length: K }, (_, i) => make(i));
  let fns = batch(); // tinybench may call the task once before any hook
  const anchor = () => {};
  c.add(anchor);
  const tokens = new Array(K);
  const bench = new Bench({ time: 60, iterations: 200, warmupTime: 20, warmupIterations: 20 });
  bench.add('register', () => {
    const t0 = now();
    for (let i = 0; i < K; i++) tokens[i] = c.add(fns[i]);
    const dt = now() - t0;
    return { overriddenDuration: dt / K, overriddenIterationCost: dt };
  }, {
    beforeEach() {
      fns = batch();
    },
    afterEach() {
      c.reset(tokens);
      if (name === 'atexit') c.add(anchor); // clear() dropped it too
    },
  });
  await bench.run();
  const { latency } = bench.tasks[0].result;
  // Median batch: every batch starts from the same state, so outliers are the machine's noise.
  done({ ns: latency.p50 * 1e6, kind });
} else if (mode === 'unregister') {
  // N distinct closures registered; each sample removes S of them picked at random over the whole
  // registry, then (untimed) registers them again, so the size stays N.
  const [N, S, batches] = rest.map(Number);
  // Warm the code paths on a few throwaway registrations, all removed again (the registry is
  // empty afterwards), so the lone first removal below does not time V8 compiling the code.
  const spare = Array.from({ length: 64 }, (_, i) => () => -i);
  for (const t of spare.map((f) => c.add(f))) c.remove(t);
  const fns = Array.from({ length: N }, (_, i) => () => i);
  const tokens = fns.map((f) => c.add(f));
  // The first removal from this registry, alone: one-off work (building an index, say) shows here.
  const k = Math.floor(Math.random() * N);
  globalThis.gc?.(); // the set-up's garbage is not the removal's cost (run.js passes --expose-gc)
  const t0 = now();
  c.remove(tokens[k]);
  const first = (now() - t0) * 1e6;
  tokens[k] = c.add(fns[k]);
  let sample = [];
  const bench = new Bench({ time: 0, iterations: batches, warmupTime: 0, warmupIterations: 1 });
  bench.add('unregister', () => {
    const t0 = now();
    for (let j = 0; j < S; j++) c.remove(tokens[sample[j]]);
    const dt = now() - t0;
    return { overriddenDuration: dt / S, overriddenIterationCost: dt };
  }, {
    beforeEach() {
      sample = pick(N, S);
    },
    afterEach() {
      for (const i of sample) tokens[i] = c.add(fns[i]);
    },
  });
  await bench.run();
  const { latency } = bench.tasks[0].result;
  // Mean over batches = total time / total removals: any occasional clean-up (compaction)
  // is charged in full, amortised over the calls, not hidden by a median.
  done({ ns: latency.mean * 1e6, first, n: N, s: S, batches });
  // The registrations are left in place: the process ends with them, as a program would.
} else if (mode === 'batch') {
  // One cold batch: N fresh arrow functions registered into one registry, the first calls of
  // the process included (so the code is not warmed up, and the registry grows from empty).
  const [N] = rest.map(Number);
  const fns = Array.from({ length: N }, (_, i) => () => i);
  const t0 = now();
  for (let i = 0; i < N; i++) c.add(fns[i]);
  done({ ns: ((now() - t0) * 1e6) / N, n: N });
  process.exit(0); // the handlers are not the point here; skip running them
} else {
  throw new Error(`unknown mode ${mode}`);
}

/** S distinct indices in [0, N), uniformly at random. */
function pick(N, S) {
  const seen = new Set();
  while (seen.size < S) seen.add(Math.floor(Math.random() * N));
  return [...seen];
}
