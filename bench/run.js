// `npm run bench`: this package against signal-exit, exit-hook, when-exit and CPython's atexit.
// Every measurement runs in fresh child processes; each round runs every contender once, in an
// order that rotates from round to round, so drift of the machine hits all contenders alike.
// The figures reported are medians over the rounds. Writes docs/bench.md and
// docs/bench-unregister.svg. `--quick` runs fewer rounds (a smoke test; do not publish it).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { names } from './contenders.js';
import { chart, timeLabel } from './svg.js';
import { measure as measureSignals, table as signalTable_ } from './signal.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const quick = process.argv.includes('--quick');
const ROUNDS = quick
  ? { register: 2, batch: 2, unregister: 1, end: 2, drain: 2, heap: 1, import: 4 }
  : { register: 5, batch: 7, unregister: 5, end: 9, drain: 7, heap: 3, import: 21 };
const SIZES = [1_000, 10_000, 100_000, 1_000_000];
const BATCH_N = 100_000;
const END_N = 1_000_000;
const HEAP_N = 1_000_000;
const PYTHON = process.env.PYTHON || 'python3';
const started = Date.now();

// ---------------------------------------------------------------- helpers

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Median with the range over the rounds, for the console: `24.1 ns (22.0–31.5)`. */
const spread = (xs, fmt) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
/** Round r of a rotation: every item once, starting at a different one each round. */
const rotate = (items, r) => items.map((_, i) => items[(i + r) % items.length]);
const log = (line = '') => process.stdout.write(`${line}\n`);
const progress = (text) => process.stdout.isTTY && process.stdout.write(`\r\x1b[2K${text}`);
const done = () => process.stdout.isTTY && process.stdout.write('\r\x1b[2K');

function spawn(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}
const json = (stdout) => JSON.parse(stdout.trim().split('\n').pop());
const node = (file, args, flags = []) => json(spawn(process.execPath, [...flags, here(file), ...args]).stdout);
const py = (args) => json(spawn(PYTHON, [here('python.py'), ...args]).stdout);

// ---------------------------------------------------------------- machine and versions

const python = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import sys, platform; print(platform.python_implementation(), sys.version.split()[0])'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
})();
const cpus = os.cpus();
const pkg = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
const ours = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const machine = {
  cpu: `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} logical cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: `Node.js ${process.version}`,
  python: python ?? `not found (${PYTHON})`,
  versions: { atexit: ours, 'signal-exit': pkg('signal-exit'), 'exit-hook': pkg('exit-hook'), 'when-exit': pkg('when-exit'), tinybench: pkg('tinybench') },
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  load: os.loadavg().map((l) => l.toFixed(2)).join(' '),
};
log('atexit benchmark');
log(`  machine: ${machine.cpu}; ${machine.os}; load average at start ${machine.load}`);
log(`  runtimes: ${machine.node} (${process.execPath}); ${python ?? 'python3 not found'}`);
log(`  versions: ${Object.entries(machine.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
if (!python) log(`  CPython: skipped (no ${PYTHON} on PATH; set PYTHON=/path/to/python3 to include it)`);
if (quick) log('  --quick: few rounds, for a smoke test only');
log();

const contenders = python ? [...names, 'cpython'] : [...names];
const label = { atexit: 'atexit (this package)', 'signal-exit': 'signal-exit', 'exit-hook': 'exit-hook', 'when-exit': 'when-exit', cpython: 'CPython atexit' };

// ---------------------------------------------------------------- 1. size of the Node entry

async function minGz(entry) {
  // The same options as scripts/size.js (the package's byte budget); node: built-ins stay out.
  const result = await build({
    entryPoints: [entry], bundle: true, minify: true, write: false, format: 'esm', platform: 'neutral', target: 'es2022',
    legalComments: 'none', external: ['node:*'], mainFields: ['module', 'main'], logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gz: gzipSync(code, { level: 9 }).length };
}
const size = {};
for (const name of names) {
  const entry = name === 'atexit' ? here('../dist/index.js') : fileURLToPath(import.meta.resolve(name));
  size[name] = await minGz(entry);
}
const browserSize = await minGz(here('../dist/browser.js'));
log(`size (esbuild --minify, gzip -9): ${names.map((n) => `${n} ${size[n].gz} B`).join(', ')}; atexit's browser entry ${browserSize.gz} B`);

// ---------------------------------------------------------------- 2. register

// Two kinds of handler: arrow functions, and `function` expressions (ordinary functions, which
// have a prototype). CPython: lambdas and `def` functions.
const KINDS = { arrow: 'lambda', function: 'def' };
const register = Object.fromEntries(Object.keys(KINDS).map((k) => [k, Object.fromEntries(contenders.map((c) => [c, []]))]));
for (let r = 0; r < ROUNDS.register; r++) {
  for (const kind of Object.keys(KINDS)) {
    for (const c of rotate(contenders, r)) {
      progress(`register: round ${r + 1}/${ROUNDS.register}, ${kind}, ${c}`);
      register[kind][c].push((c === 'cpython' ? py(['register', KINDS[kind]]) : node('micro.js', ['register', c, kind])).ns);
    }
  }
}
done();
for (const kind of Object.keys(KINDS)) {
  log(`register, ${kind} handlers (ns per call): ${contenders.map((c) => `${c} ${median(register[kind][c]).toFixed(1)}`).join(', ')}`);
}

// ---------------------------------------------------------------- 2b. one cold batch of register

// A fresh process registers BATCH_N fresh arrow functions (CPython: lambdas) in one timed batch:
// the code is cold, the registry grows from empty, and the garbage collector's work is included.
const batch = Object.fromEntries(contenders.map((c) => [c, []]));
for (let r = 0; r < ROUNDS.batch; r++) {
  for (const c of rotate(contenders, r)) {
    progress(`cold batch: round ${r + 1}/${ROUNDS.batch}, ${c}`);
    batch[c].push((c === 'cpython' ? py(['batch', String(BATCH_N)]) : node('micro.js', ['batch', c, String(BATCH_N)])).ns);
  }
}
done();
log(`register, one cold batch of ${BATCH_N} (ns per call, median (min–max)): ${contenders.map((c) => `${c} ${spread(batch[c], (v) => v.toFixed(1))}`).join(', ')}`);

// ---------------------------------------------------------------- 3. unregister

/** Removals per batch, and timed batches: fewer where one removal scans the whole registry. */
function plan(c, n) {
  if (c === 'cpython') return n >= 1_000_000 ? [50, 3] : n >= 100_000 ? [1000, 3] : [Math.min(1000, n / 10), 5];
  if (c === 'signal-exit' && n >= 1_000_000) return [200, 5];
  return [Math.min(1000, n / 10), 5];
}
const unregister = Object.fromEntries(contenders.map((c) => [c, Object.fromEntries(SIZES.map((n) => [n, []]))]));
const firstUnregister = Object.fromEntries(contenders.map((c) => [c, Object.fromEntries(SIZES.map((n) => [n, []]))]));
for (let r = 0; r < ROUNDS.unregister; r++) {
  for (const n of SIZES) {
    for (const c of rotate(contenders, r)) {
      progress(`unregister: round ${r + 1}/${ROUNDS.unregister}, ${n} registrations, ${c}`);
      const [s, batches] = plan(c, n);
      const args = [String(n), String(s), String(batches)];
      // --expose-gc: micro.js collects the garbage of the set-up before the lone first removal,
      // which one timed call must not pay for (a collection costs as much as it, at 1 000).
      const result = c === 'cpython' ? py(['unregister', ...args]) : node('micro.js', ['unregister', c, ...args], ['--expose-gc']);
      unregister[c][n].push(result.ns);
      firstUnregister[c][n].push(result.first);
    }
  }
}
done();
for (const n of SIZES) log(`unregister at ${n} (ns per call): ${contenders.map((c) => `${c} ${median(unregister[c][n]).toFixed(0)}`).join(', ')}`);
for (const n of SIZES) log(`the first unregister at ${n} (ns, median (min–max)): ${contenders.map((c) => `${c} ${spread(firstUnregister[c][n], (v) => v.toFixed(0))}`).join(', ')}`);

// ---------------------------------------------------------------- 4. ending with 1 000 000 handlers

const endKinds = [...names.map((c) => ['node', c]), ['node', 'floor'], ...(python ? [['py', 'atexit'], ['py', 'floor']] : [])];
const endMs = Object.fromEntries(endKinds.map(([rt, c]) => [`${rt}:${c}`, []]));
for (let r = 0; r < ROUNDS.end; r++) {
  for (const [rt, c] of rotate(endKinds, r)) {
    progress(`ending: round ${r + 1}/${ROUNDS.end}, ${rt} ${c}`);
    const { ms, stdout } =
      rt === 'py' ? spawn(PYTHON, [here('python.py'), 'end', c, String(END_N)]) : spawn(process.execPath, [here('end.js'), c, String(END_N)]);
    const expected = `ran ${c === 'floor' ? 0 : END_N}`;
    if (stdout.trim() !== expected) throw new Error(`ending ${rt} ${c}: expected "${expected}", got "${stdout.trim()}"`);
    endMs[`${rt}:${c}`].push(ms);
  }
}
done();
const end = {};
for (const c of names) end[c] = median(endMs[`node:${c}`]) - median(endMs['node:floor']);
if (python) end.cpython = median(endMs['py:atexit']) - median(endMs['py:floor']);
const floors = { node: median(endMs['node:floor']), py: python ? median(endMs['py:floor']) : NaN };
log(`ending with ${END_N} handlers (ms over the bare program): ${contenders.map((c) => `${c} ${end[c].toFixed(0)}`).join(', ')}` +
  ` (floors: node ${floors.node.toFixed(0)} ms${python ? `, python ${floors.py.toFixed(0)} ms` : ''})`);
log(`  spawn to exit, median (min–max): ${endKinds.map(([rt, c]) => `${rt} ${c} ${spread(endMs[`${rt}:${c}`], (v) => v.toFixed(0))}`).join(', ')}`);

// ---------------------------------------------------------------- 4b. the drain alone, in-process

const drainNs = [];
for (let r = 0; r < ROUNDS.drain; r++) {
  progress(`drain: round ${r + 1}/${ROUNDS.drain}`);
  drainNs.push(node('drain.js', [String(END_N)]).ns);
}
done();
log(`drain of ${END_N} handlers in-process (ns per handler, median (min–max)): atexit ${spread(drainNs, (v) => v.toFixed(1))}`);

// ---------------------------------------------------------------- 5. heap per registration

const heapCases = [['same', 0], ['same', 2], ['distinct', 0], ['distinct', 2]];
/** Which cases mean something for a contender (peers take no arguments; two dedupe a function). */
const heapApplies = (c, how, argc) => c === 'atexit' || c === 'cpython' || (argc === 0 && !(how === 'same' && (c === 'exit-hook' || c === 'when-exit')));
const heap = Object.fromEntries(contenders.map((c) => [c, Object.fromEntries(heapCases.map(([h, a]) => [`${h}${a}`, []]))]));
for (let r = 0; r < ROUNDS.heap; r++) {
  for (const [how, argc] of heapCases) {
    for (const c of rotate(contenders, r)) {
      if (!heapApplies(c, how, argc)) continue;
      progress(`heap: round ${r + 1}/${ROUNDS.heap}, ${how} ${argc}, ${c}`);
      const args = [String(HEAP_N), how, String(argc)];
      heap[c][`${how}${argc}`].push((c === 'cpython' ? py(['heap', ...args]) : node('heap.js', [c, ...args], ['--expose-gc'])).bytes);
    }
  }
}
done();
log(`heap (bytes per registration, one function / distinct, no arguments): ${contenders.map((c) => `${c} ${fmtHeap(c, 'same0')} / ${fmtHeap(c, 'distinct0')}`).join(', ')}`);

// ---------------------------------------------------------------- 6. import

const imports = Object.fromEntries(contenders.map((c) => [c, []]));
for (let r = 0; r < ROUNDS.import; r++) {
  for (const c of rotate(contenders, r)) {
    progress(`import: round ${r + 1}/${ROUNDS.import}, ${c}`);
    imports[c].push((c === 'cpython' ? py(['import']) : node('import.js', [c])).ms);
  }
}
done();
log(`import (ms, median (min–max)): ${contenders.map((c) => `${c} ${spread(imports[c], (v) => v.toFixed(2))}`).join(', ')}`);
log();

// ---------------------------------------------------------------- results

const med = {
  register: Object.fromEntries(Object.keys(KINDS).map((k) => [k, Object.fromEntries(contenders.map((c) => [c, median(register[k][c])]))])),
  batch: Object.fromEntries(contenders.map((c) => [c, median(batch[c])])),
  drain: median(drainNs),
  unregister: Object.fromEntries(contenders.map((c) => [c, Object.fromEntries(SIZES.map((n) => [n, median(unregister[c][n])]))])),
  firstUnregister: Object.fromEntries(contenders.map((c) => [c, Object.fromEntries(SIZES.map((n) => [n, median(firstUnregister[c][n])]))])),
  heap: Object.fromEntries(contenders.map((c) => [c, Object.fromEntries(heapCases.map(([h, a]) => [`${h}${a}`, median(heap[c][`${h}${a}`])]))])),
  import: Object.fromEntries(contenders.map((c) => [c, median(imports[c])])),
};
function fmtHeap(c, key) {
  const v = median(heap[c][key]);
  return Number.isNaN(v) ? 'n/a' : `${v.toFixed(1)}`;
}
const us = med.unregister.atexit;

const targets = [];
const target = (text, met, detail) => targets.push({ text, met, detail });
const noPython = (text) => target(text, undefined, 'skipped: no python3');
{
  const text = 'register costs at most what CPython’s does per call (fresh arrow functions; CPython: lambdas)';
  if (python) target(text, med.register.arrow.atexit <= med.register.arrow.cpython, `${timeLabel(med.register.arrow.atexit)} vs ${timeLabel(med.register.arrow.cpython)}`);
  else noPython(text);
}
{
  const text = `one cold batch of ${BATCH_N.toLocaleString('en')} registrations into one registry costs at most CPython’s`;
  if (python) target(text, med.batch.atexit <= med.batch.cpython, `${timeLabel(med.batch.atexit)} vs ${timeLabel(med.batch.cpython)} per call`);
  else noPython(text);
}
target('at most 16 bytes of heap per registration without arguments (N distinct functions)', med.heap.atexit.distinct0 <= 16, `${med.heap.atexit.distinct0.toFixed(1)} B`);
{
  const peers = names.filter((c) => c !== 'atexit');
  const fastest = peers.reduce((a, b) => (end[b] < end[a] ? b : a));
  target(`ending with ${END_N.toLocaleString('en')} handlers costs at most 1.1× the fastest of ${peers.join(', ')} (over the bare program)`,
    end.atexit <= 1.1 * end[fastest], `${end.atexit.toFixed(0)} ms vs ${end[fastest].toFixed(0)} ms (${fastest}): ${(end.atexit / end[fastest]).toFixed(2)}×`);
}
for (const n of SIZES) target(`unregister at most 2 µs per call with ${n.toLocaleString('en')} registrations`, us[n] <= 2000, timeLabel(us[n]));
for (const n of SIZES) {
  const text = `the first unregister after ${n.toLocaleString('en')} registrations costs at most 20× CPython’s per-call unregister at that size`;
  if (!python) noPython(text);
  else {
    const first = med.firstUnregister.atexit[n];
    const theirs = med.unregister.cpython[n];
    target(text, first <= 20 * theirs, `${timeLabel(first)} vs ${timeLabel(theirs)}: ${(first / theirs).toFixed(1)}×`);
  }
}
target(`the drain costs at most 15 ns per handler in-process with ${END_N.toLocaleString('en')} handlers`, med.drain <= 15, timeLabel(med.drain));
{
  const peers = names.filter((c) => c !== 'atexit');
  const next = peers.reduce((a, b) => (med.import[b] < med.import[a] ? b : a));
  target('import is the fastest among the JavaScript peers', med.import.atexit < med.import[next],
    `${timeLabel(med.import.atexit * 1e6)} vs ${timeLabel(med.import[next] * 1e6)} (${next}, the fastest peer)`);
}

const cols = contenders;
const row = (title, f) => `| ${title} | ${cols.map((c) => f(c) ?? 'n/a').join(' | ')} |`;
const table = [];
table.push(`| | ${cols.map((c) => label[c]).join(' | ')} |`);
table.push(`|---|${cols.map(() => '---:').join('|')}|`);
table.push(row('register, per call, arrow functions (CPython: lambdas)', (c) => timeLabel(med.register.arrow[c])));
table.push(row('register, per call, `function` expressions (CPython: `def`)', (c) => timeLabel(med.register.function[c])));
table.push(row(`register, one cold batch of ${BATCH_N.toLocaleString('en')}, per call`, (c) => timeLabel(med.batch[c])));
for (const n of SIZES) table.push(row(`unregister, per call, ${n.toLocaleString('en')} registered`, (c) => timeLabel(med.unregister[c][n])));
for (const n of SIZES) table.push(row(`unregister, the first call alone, ${n.toLocaleString('en')} registered`, (c) => timeLabel(med.firstUnregister[c][n])));
table.push(row(`ending with ${END_N.toLocaleString('en')} handlers, over the bare program`, (c) => `${end[c].toFixed(0)} ms`));
table.push(row(`the drain alone, in-process, ${END_N.toLocaleString('en')} handlers, per handler`, (c) => (c === 'atexit' ? timeLabel(med.drain) : undefined)));
table.push(row('heap per registration, one function N times, no arguments', (c) => (Number.isNaN(med.heap[c].same0) ? undefined : `${med.heap[c].same0.toFixed(1)} B`)));
table.push(row('heap per registration, one function N times, 2 arguments', (c) => (Number.isNaN(med.heap[c].same2) ? undefined : `${med.heap[c].same2.toFixed(1)} B`)));
table.push(row('heap per registration, N distinct functions, no arguments', (c) => (Number.isNaN(med.heap[c].distinct0) ? undefined : `${med.heap[c].distinct0.toFixed(1)} B`)));
table.push(row('heap per registration, N distinct functions, 2 arguments', (c) => (Number.isNaN(med.heap[c].distinct2) ? undefined : `${med.heap[c].distinct2.toFixed(1)} B`)));
table.push(row('import in a fresh process', (c) => timeLabel(med.import[c] * 1e6)));
table.push(row('entry, minified', (c) => (size[c] ? `${size[c].min} B` : undefined)));
table.push(row('entry, minified + gzipped', (c) => (size[c] ? `${size[c].gz} B` : undefined)));
table.push(row('browser entry, minified + gzipped', (c) => (c === 'atexit' ? `${browserSize.gz} B` : undefined)));
// Signal to exit next to signal-exit: a program with one handler and a timer, the signal sent once it
// is ready, timed from kill() to its exit (bench/signal.js), on every runtime fetched.
progress('signal to exit');
const signalRows = await measureSignals(quick ? 3 : 9);
done();
const signalTable = signalTable_(signalRows);
{
  const median_ = (xs) => median(xs);
  const extras = [];
  for (const r of signalRows.filter((r) => r.name !== 'signal-exit')) {
    const peer = signalRows.find((p) => p.runtime === r.runtime && p.signal === r.signal && p.name === 'signal-exit');
    extras.push(median_(r.times) - median_(peer.times));
  }
  const worst = Math.max(...extras);
  target('Signal to exit: at most signal-exit + 10 ms (median, every runtime, sync and async handler)', worst <= 10, `worst ${worst >= 0 ? '+' : ''}${worst.toFixed(1)} ms`);
}
log('Results (medians)');
for (const line of table) log(`  ${line}`);
log();

const verdict = (t) => (t.met === undefined ? 'skipped' : t.met ? 'met' : 'NOT met');
log('Targets');
for (const t of targets) log(`  ${verdict(t).padEnd(8)} ${t.text}: ${t.detail}`);
log();

// ---------------------------------------------------------------- docs/bench.md and the chart

const planText = (c, n) => {
  const [s, b] = plan(c, n);
  return `${s} × ${b}`;
};
const md = [];
md.push('# Benchmark');
md.push('');
md.push('Generated by `npm run bench` (bench/run.js). Do not edit by hand: run it again.');
md.push('');
md.push(`- Date: ${machine.date}${quick ? ' (**--quick run: few rounds, not for publication**)' : ''}`);
md.push(`- Machine: ${machine.cpu}; ${machine.os}; load average at start ${machine.load}`);
md.push(`- Runtimes: ${machine.node}; ${python ?? `CPython skipped (${PYTHON} not found)`}`);
md.push(`- Versions: ${Object.entries(machine.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
md.push(`- Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s`);
md.push('');
md.push('## Targets');
md.push('');
md.push('| Target | Result | Measured |');
md.push('|---|---|---|');
for (const t of targets) md.push(`| ${t.text} | ${t.met === undefined ? 'skipped' : t.met ? '✅ met' : '❌ NOT met'} | ${t.detail} |`);
md.push('');
md.push('## Results');
md.push('');
md.push(`Medians over fresh child processes (rounds: register ${ROUNDS.register}, cold batch ${ROUNDS.batch}, unregister ${ROUNDS.unregister}, ending ${ROUNDS.end}, drain ${ROUNDS.drain}, heap ${ROUNDS.heap}, import ${ROUNDS.import}).`);
md.push('');
md.push(...table);
md.push('');
md.push(`Bare programs (the floor of the ending row): Node ${floors.node.toFixed(0)} ms${python ? `, Python ${floors.py.toFixed(0)} ms` : ''}, spawn to exit.`);
md.push('');
md.push('![Unregister cost against registry size, log–log](bench-unregister.svg)');
md.push('');
md.push('## Signal to exit');
md.push('');
md.push(`A program with one handler and a timer that keeps it alive; the signal is sent once it is ready, and timed from \`kill()\` to its exit (bench/signal.js; medians, min–max over ${quick ? 3 : 9} interleaved rounds). signal-exit runs its handlers at once and re-raises.`);
md.push('');
md.push(...signalTable);
md.push('');
md.push('## How each figure is taken');
md.push('');
md.push('- **register**: 1 000 closures never registered before (made untimed before each sample: arrow functions, or `function` expressions) registered in one timed batch (tinybench sample = the batch time / 1 000), undone untimed after each sample; one registration stays for the whole run so no library reinstalls its process listeners. The figure is the median batch of a process, then the median over processes. CPython: the same batches, calling `atexit.register` through `map()` (the cheapest way to call it from Python), timed with `time.perf_counter_ns`.');
md.push('- **unregister**: N distinct closures registered; each timed batch removes a random sample spread over the whole registry, then (untimed) registers them again. The figure of a process is total time / total removals (a mean, so occasional clean-up work such as compaction is charged in full); then the median over processes. This package and CPython remove by function (`unregister(f)`); the peers call the remover their registration returned. The first removal of each process is also timed alone (one call, so the clock’s resolution shows), to expose one-off work that batches would amortise.');
md.push(`  Removals per batch × timed batches (after one warm-up batch): ${cols.map((c) => `${c}: ${SIZES.map((n) => planText(c, n)).join(', ')}`).join('; ')} (for 1 000, 10 000, 100 000, 1 000 000 registrations).`);
md.push(`- **cold batch**: a fresh process makes ${BATCH_N.toLocaleString('en')} arrow functions (CPython: lambdas), then registers them in one timed loop (CPython: \`map()\`), so the code is cold, the registry grows from empty and collecting garbage is part of the time; per call, then the median over processes.`);
md.push(`- **the first unregister**: see unregister above; for this package it is the call that builds the index (one pass over the registry), so its target is set against CPython’s per-call unregister at the same size, which scans the registry every time.`);
md.push(`- **drain**: in one process, ${END_N.toLocaleString('en')} distinct no-op arrow functions registered, then one timed \`runExitFuncs()\` (all handlers run inside the call), divided by N.`);
md.push(`- **ending**: a program registers ${END_N.toLocaleString('en')} no-op closures and ends naturally; the last handler to run prints how many ran, and every run is checked. Wall time from spawn to exit, minus the same program without the library (it builds the same closures).`);
md.push(`- **heap**: \`node --expose-gc\`, \`gc()\`, \`process.memoryUsage().heapUsed\` before and after ${HEAP_N.toLocaleString('en')} registrations, divided by N; distinct closures are created before the first reading, the values registration returns are dropped. Arguments: two small integers. exit-hook and when-exit keep a Set of functions (registering one function N times keeps one), and the peers take no arguments: n/a. CPython: \`tracemalloc\` over the same registrations.`);
md.push('- **import**: `await import(name)` timed inside a fresh process (CPython: `import atexit`, a built-in module already loaded at start-up).');
md.push('- **entry size**: the package’s Node ESM entry (and its browser entry) bundled by esbuild with `minify`, then gzip level 9.');
md.push('- The machine may be shared: treat differences of a few percent as noise.');
md.push('');
writeFileSync(here('../docs/bench.md'), `${md.join('\n')}`);

const palette = { atexit: '#1f6feb', 'signal-exit': '#d9822b', 'exit-hook': '#2da44e', 'when-exit': '#8250df', cpython: '#6e7781' };
const svg = chart({
  title: 'unregister: time per call against registry size',
  subtitle: `medians of fresh processes · ${machine.node} · ${python ?? 'CPython skipped'} · ${machine.date.slice(0, 10)}`,
  sizes: SIZES,
  target: { ns: 2000, label: 'target: 2 µs' },
  series: cols.flatMap((c) => [
    {
      name: label[c],
      color: palette[c],
      width: c === 'atexit' ? 3 : undefined,
      dash: c === 'cpython' ? '5 3' : undefined,
      points: SIZES.map((n) => [n, med.unregister[c][n]]),
    },
    // The one call that builds the index: what a program pays once, on its first unregister.
    ...(c === 'atexit' ? [{ name: 'atexit, first call (index)', color: palette[c], dash: '2 3', points: SIZES.map((n) => [n, med.firstUnregister[c][n]]) }] : []),
    // The first call's target: 20 times what one CPython call costs at the same size.
    ...(c === 'cpython' ? [{ name: 'first-call target: 20× CPython', color: '#c0392b', dash: '1 3', points: SIZES.map((n) => [n, 20 * med.unregister[c][n]]) }] : []),
  ]),
});
writeFileSync(here('../docs/bench-unregister.svg'), svg);
log(`wrote docs/bench.md and docs/bench-unregister.svg (${((Date.now() - started) / 1000).toFixed(0)} s)`);
