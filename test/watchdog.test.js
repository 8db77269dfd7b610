// Issue 14 item 4: a synchronous handler that does not return. Child processes on the runtime
// ATEXIT_RUNTIME selects (part of `npm test` on Node 20 and of the runtime matrix, row [spin];
// fixture test/runtimes/fixtures/spin.mjs), then in-process checks of what a stopped stretch
// leaves behind (Node only: they run in the test runner itself).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { test } from 'node:test';
import * as atexit from 'atexit';
import { command, run as runFixture, runtime } from './harness.js';

const run = (args, options) => runFixture('../runtimes/fixtures/spin.mjs', { args, timeout: 10_000, ...options });
const fixture = fileURLToPath(new URL('runtimes/fixtures/spin.mjs', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

test('[spin] a handler that spins at the natural end, deadline 300 ms: stopped and named, its finally skipped, the older ones still run, status 0', async () => {
  const r = await run(['deadline']);
  assert.equal(r.stdout, 'newer {"reason":"natural","code":0}\nolder\n');
  assert.equal(r.stderr, 'atexit: spinner was stopped after the deadline of 300 ms; the remaining handlers run without waiting\n');
  assert.deepEqual([r.status, r.signal], [0, null]);
});

test('[spin] past the deadline an older handler spins too: it is stopped a grace period later and named, the oldest still runs, status 0', async () => {
  const r = await run(['grace']);
  assert.equal(r.stdout, 'newer {"reason":"natural","code":0}\nolder\n');
  assert.equal(
    r.stderr,
    'atexit: spinner was stopped after the deadline of 300 ms; the remaining handlers run without waiting\n' +
      'atexit: olderSpinner was stopped 1000 ms after the deadline; the remaining handlers run without waiting\n',
  );
  assert.deepEqual([r.status, r.signal], [0, null]);
});

// Ctrl+C cannot stop synchronous JavaScript without a SIGINT trap, and the runtimes' traps lose
// signals at their edges (src/runtimes/watchdog.ts): the deadline stops it, the signal is kept.
test('[spin] a run begun by SIGINT, a handler that spins, a second SIGINT: it cannot stop it, the deadline (1 s) does; the older ones run, killed by SIGINT', async () => {
  const r = await run(['sigint', '1000'], { signals: ['SIGINT', 'SIGINT'] });
  assert.equal(r.stdout, 'READY\nnewer {"reason":"signal","signal":"SIGINT"}\nREADY\nolder\n');
  assert.equal(r.stderr, 'atexit: spinner was stopped after the deadline of 1000 ms; the remaining handlers run without waiting\n');
  assert.deepEqual([r.status, r.signal], [null, 'SIGINT']);
});

test('[spin] the same, the spinning handler run by a handler\'s runExitFuncs(): both are stopped at the deadline, the older ones still run, killed by SIGINT', async () => {
  const r = await run(['nested', '1000'], { signals: ['SIGINT', 'SIGINT'] });
  assert.equal(r.stdout, 'READY\nnewer {"reason":"signal","signal":"SIGINT"}\nREADY\nolder\n');
  assert.equal(r.stderr, 'atexit: outer was stopped after the deadline of 1000 ms; the remaining handlers run without waiting\n');
  assert.deepEqual([r.status, r.signal], [null, 'SIGINT']);
});

test('[spin] a run begun by SIGINT in a program that broke process.rawListeners: the handlers run, killed by SIGINT', async () => {
  const r = await run(['broken'], { signals: ['SIGINT'] });
  assert.equal(r.stdout, 'READY\nnewer {"reason":"signal","signal":"SIGINT"}\nwork done\nolder\n');
  assert.deepEqual([r.stderr, r.status, r.signal], ['', null, 'SIGINT']);
});

// Relays measured in issue 14: `node --watch` 0.3–1.3 ms after the terminal's, concurrently 18–37 ms.
for (const gap of [1, 30]) {
  test(`[spin] one Ctrl+C relayed: SIGINT twice ${gap} ms apart, a handler that works 300 ms: it completes, nothing skipped, killed by SIGINT`, async () => {
    const [file, argv] = command(fixture, ['relay']);
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root, env: { ...process.env, NODE_DEBUG: '' } });
    const out = { stdout: '', stderr: '' };
    child.stderr.setEncoding('utf8').on('data', (chunk) => (out.stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out.stdout += chunk;
      if (out.stdout !== 'READY\n') return;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), gap);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000); // fails rather than waits
    const [status, signal] = await new Promise((resolve) => child.on('close', (...end) => resolve(end)));
    clearTimeout(timer);
    assert.equal(out.stdout, 'READY\nnewer {"reason":"signal","signal":"SIGINT"}\nwork done\nolder\n');
    assert.deepEqual([out.stderr, status, signal], ['', null, 'SIGINT']);
  });
}

test('[spin] the program listens to SIGINT itself: a SIGINT during a busy handler does not interrupt it, the program hears it, status 0', async () => {
  const r = await run(['listener'], { signals: ['SIGINT'] });
  assert.equal(r.stdout, 'newer {"reason":"natural","code":0}\nREADY\nwork done\nolder\nprogram heard SIGINT\n');
  assert.deepEqual([r.stderr, r.status, r.signal], ['', 0, null]);
});

test('[spin] runExitFuncs() with a handler that spins, deadline 200 ms: stopped and named, the older ones still run, process.exit restored, a later run works', async () => {
  const r = await run(['manual']);
  assert.equal(r.stdout, 'newer {"reason":"manual"}\nolder\nafter: process.exit restored, 0 left\na later run\n');
  assert.equal(r.stderr, 'atexit: spinner was stopped after the deadline of 200 ms; the remaining handlers run without waiting\n');
  assert.deepEqual([r.status, r.signal], [3, null]);
});

test('the drain after a termination inside a handler: that handler counts as taken, the next each() goes on with the older ones', () => {
  atexit.ncallbacks(); // the shared state exists from the first call
  const { registry } = globalThis[Symbol.for('atexit/2')];
  const seen = [];
  const spin = () => {
    seen.push('spin');
    for (;;);
  };
  registry.add((x) => seen.push(`older ${x}`), [1]);
  registry.add(spin, ['with an argument']);
  registry.add(() => seen.push('newer'), undefined);
  const drain = registry.drain();
  const KEY = Symbol.for('atexit.test.body');
  globalThis[KEY] = () => drain.each((func, args) => (func(...(args ?? [])), true));
  try {
    assert.throws(() => new vm.Script(`globalThis[Symbol.for('atexit.test.body')]()`).runInThisContext({ timeout: 100 }), { code: 'ERR_SCRIPT_EXECUTION_TIMEOUT' });
  } finally {
    delete globalThis[KEY];
  }
  assert.deepEqual(seen, ['newer', 'spin']);
  assert.equal(registry.size, 1);
  assert.equal(drain.each((func, args) => (func(...(args ?? [])), true)), true);
  assert.deepEqual(seen, ['newer', 'spin', 'older 1']);
  assert.equal(registry.size, 0);
  drain.end();
});

test('a run that a stopped handler began (its runExitFuncs()) ends with it: over, its promise settled; the outer run goes on with the older ones, once', async () => {
  const s = globalThis[Symbol.for('atexit/2')];
  const { deadline } = atexit.configure();
  const seen = [];
  let inner;
  atexit.configure({ deadline: 200 });
  try {
    atexit.register(() => seen.push('older'));
    atexit.register(function outer() {
      atexit.register(function spinner() {
        for (;;);
      });
      atexit.register(() => {
        inner = s.run;
        seen.push('nested');
      });
      atexit.runExitFuncs();
      seen.push('not reached');
    });
    await atexit.runExitFuncs();
  } finally {
    atexit.configure({ deadline });
  }
  assert.deepEqual(seen, ['nested', 'older']);
  assert.equal(s.run, undefined);
  assert.equal(inner?.over, true, 'the nested run is over');
  const settled = await Promise.race([inner.done.then(() => true), new Promise((resolve) => setTimeout(resolve, 500, false))]);
  assert.equal(settled, true, 'the nested run settles its promise');
  assert.equal(atexit.ncallbacks(), 0);
});
