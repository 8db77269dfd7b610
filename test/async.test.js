// Issue 3: async handlers, graceful exit and the deadline, seen from a parent process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, runtime } from './harness.js';

const lines = (text) => text.split('\n').filter((line) => line !== '');
/** The stderr lines atexit itself writes (notices, deadline), without reports or Node's own output. */
const notices = (stderr) => lines(stderr).filter((line) => line.startsWith('atexit:'));

// Awaited in LIFO order: a handler's end is printed before the next handler starts.
const ORDER = [
  'six (sync)',
  'five: start',
  'five: end',
  'four: start',
  'four: end (thenable)',
  'three (sync)',
  'two: start',
  'two: end',
  'one (sync)',
].join('\n') + '\n';

for (const [mode, status, what] of [
  ['natural', 0, 'natural end'],
  ['natural-code', 3, 'natural end with process.exitCode = 3'],
  ['exit', 7, 'atexit.exit(7)'],
  ['exit-default', 3, 'atexit.exit() with process.exitCode = 3'],
  ['exit-none', 0, 'atexit.exit() with no exitCode'],
]) {
  test(`${what}: sync and async handlers mixed, each awaited in LIFO order, status ${status}`, async () => {
    const r = await run('async-order.mjs', { args: [mode] });
    assert.equal(r.stdout, ORDER);
    assert.equal(r.stderr, '');
    assert.deepEqual([r.status, r.signal], [status, null]);
  });
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  test(`${signal}: sync and async handlers mixed, each awaited in LIFO order, then death by ${signal}`, async () => {
    const r = await run('async-order.mjs', { args: ['signal'], signals: [signal] });
    assert.equal(r.stdout, `READY\n${ORDER}`);
    assert.equal(r.stderr, '');
    assert.deepEqual([r.status, r.signal], [null, signal]);
  });
}

test('atexit.exit() twice, then again while a handler awaits: each handler once, the last code wins', async () => {
  const r = await run('async-twice.mjs', { args: ['exit-twice'] });
  assert.equal(r.stdout, 'three (sync)\ntwo: start\ntimer: atexit.exit(5)\ntwo: end\none (sync)\n');
  assert.equal(r.stderr, '');
  assert.deepEqual([r.status, r.signal], [5, null]);
});

test('process.exit(6) while atexit.exit() awaits: the rest run at once, none twice, status 6', async () => {
  const r = await run('async-twice.mjs', { args: ['process-exit'] });
  assert.equal(r.stdout, 'three (sync)\ntwo: start\ntimer: process.exit(6)\none (sync)\n');
  assert.deepEqual([r.status, r.signal], [6, null]);
});

test("process.exit(6) while atexit.exit() awaits: the program's own later 'exit' listeners still run", async () => {
  const r = await run('async-twice.mjs', { args: ['process-exit', 'listener'] });
  assert.equal(r.stdout, "three (sync)\ntwo: start\ntimer: process.exit(6)\none (sync)\nprogram's exit listener: 6\n");
  assert.deepEqual([r.status, r.signal], [6, null]);
});

for (const mode of ['exit-twice', 'process-exit']) {
  test(`${mode === 'exit-twice' ? 'atexit.exit() three times' : 'process.exit(6) while atexit.exit() awaits'}, then the last handler calls process.exit(9): status 9`, async () => {
    const r = await run('async-twice.mjs', { args: [mode, 'handler-exits'] });
    assert.match(r.stdout, /\none \(sync\)\n$/);
    assert.deepEqual([r.status, r.signal], [9, null]);
  });
}

test('runExitFuncs(): sync handlers run inside the call; the promise settles after the last async one, never rejects', async () => {
  const r = await run('async-manual.mjs');
  assert.equal(
    r.stdout,
    [
      'sync only: count 3, ncallbacks 0',
      'settled with undefined',
      'B (sync), count 1',
      'rejects: start, count 2',
      'returned: count 2',
      'slow: start, count 3',
      'slow: end',
      'A (sync), count 4',
      'settled with undefined, count 4',
    ].join('\n') + '\n',
  );
  assert.match(r.stderr, /^Exception ignored in atexit callback rejects:\nError: rejected during runExitFuncs\n {4}at rejects /);
  assert.deepEqual([r.status, r.signal], [0, null]);
});

// The deadline (200 ms in the fixture): quick() is awaited, stuck() never settles.
const deadlineLine = (stderr) => {
  const all = lines(stderr);
  assert.equal(all.length, 1, `one stderr line expected, got:\n${stderr}`);
  assert.match(all[0], /^atexit: .*deadline.*\bstuck\b/);
  assert.doesNotMatch(all[0], /\bquick\b/);
};

// Nothing else alive: the deadline's timer does not keep the program going (issue 14).
test('a promise that can no longer settle at the natural end (exitCode 3): one line names it, the older handlers run, status 3, no wait for the deadline', async () => {
  const r = await run('async-deadline.mjs', { args: ['natural'], env: { DEADLINE: '60000' } });
  assert.equal(r.stdout, 'quick: done\nstuck: start\nolderAsync\nolder (sync)\n');
  assert.equal(r.stderr, "atexit: stuck's promise can no longer settle (nothing is left in the event loop); going on without it\n");
  assert.deepEqual([r.status, r.signal], [3, null]);
});

for (const [mode, status, what] of [
  ['exit', 5, 'atexit.exit(5)'],
  ['interval', 3, 'natural end, the stuck handler holding the event loop open with setInterval'],
]) {
  test(`deadline, ${what}: one line names the stuck handler, the older ones still run (not awaited), status ${status}`, async () => {
    const r = await run('async-deadline.mjs', { args: [mode] });
    assert.equal(r.stdout, 'quick: done\nstuck: start\nolderAsync\nolder (sync)\n');
    deadlineLine(r.stderr);
    assert.deepEqual([r.status, r.signal], [status, null]);
  });
}

test('deadline, SIGTERM: one line names the stuck handler, the older ones still run (not awaited), still death by SIGTERM', async () => {
  const r = await run('async-deadline.mjs', { args: ['signal'], signals: ['SIGTERM'] });
  assert.equal(r.stdout, 'READY\nquick: done\nstuck: start\nolderAsync\nolder (sync)\n');
  deadlineLine(r.stderr);
  assert.deepEqual([r.status, r.signal], [null, 'SIGTERM']);
});

// The fixture has no deadline: without the second-signal rule it would wait 60 s (harness timeout).
// Its second READY comes past the window in which the same signal is the same request.
for (const signals of [['SIGINT', 'SIGINT'], ['SIGINT', 'SIGTERM'], ['SIGTERM', 'SIGTERM']]) {
  test(`a second signal while an async handler runs (${signals.join(' then ')}): waiting stops, the rest run without waiting, death by ${signals[1]}`, async () => {
    const r = await run('async-second-signal.mjs', { signals });
    assert.equal(r.stdout, 'READY\nfirst to run (sync)\nslow: start\nREADY\nskipped (sync)\n');
    assert.equal(r.stderr, `atexit: a second ${signals[1]}: not awaiting slow; the remaining handlers run without waiting\n`);
    assert.deepEqual([r.status, r.signal], [null, signals[1]]);
  });
}

test('a rejected promise is reported exactly like a throw, the run goes on, the status is unchanged', async () => {
  const r = await run('async-reject.mjs');
  assert.equal(r.stdout, 'first (sync)\nbetween (async)\nlast (sync)\n');
  // Three handlers named cleanup fail with the same error: rejected at once, rejected later, thrown.
  const block = r.stderr.slice(0, r.stderr.length / 3);
  assert.match(block, /^Exception ignored in atexit callback cleanup:\nError: same error\n {4}at /);
  assert.equal(r.stderr, block.repeat(3));
  assert.deepEqual([r.status, r.signal], [0, null]);
});

// Endings that cannot wait: every sync part in order, one notice per async handler.
const SYNC_PARTS = 'five (sync)\ncloseDb: sync part\nthree (sync)\nflushLog: sync part\none (sync)\n';
// The notice says why the promise cannot be awaited on that ending; only where the program
// itself chose a synchronous exit does it point to atexit.exit().
const WHY = {
  exit: 'the program is exiting synchronously; end with atexit.exit() to await it',
  throw: 'the program is ending on an uncaught error',
  reject: 'the program is ending on an uncaught error',
  now: 'the program is ending now',
};
const noticesFor = (stderr, names, why) => {
  const found = notices(stderr);
  assert.equal(found.length, names.length, `notices expected for ${names}, got:\n${stderr}`);
  names.forEach((name, i) => assert.equal(found[i], `atexit: ${name} returned a promise that cannot be awaited: ${why}`));
};

for (const [mode, status, what] of [
  ['exit', 3, 'process.exit(3) from normal code'],
  ['throw', 1, 'an uncaught exception'],
  ['reject', 1, 'an unhandled rejection'],
]) {
  test(`${what}: sync parts run in order, one notice per async handler saying why it is not awaited, status ${status}`, async () => {
    const r = await run('async-sync-ending.mjs', { args: [mode] });
    assert.equal(r.stdout, SYNC_PARTS);
    noticesFor(r.stderr, ['closeDb', 'flushLog'], WHY[mode]);
    if (mode === 'exit') assert.equal(lines(r.stderr).length, 2);
    else assert.match(r.stderr, mode === 'throw' ? /uncaught in main/ : /unhandled in main/);
    assert.deepEqual([r.status, r.signal], [status, null]);
  });
}

for (const [mode, signals, what] of [['natural', [], 'natural end'], ['signal', ['SIGTERM'], 'SIGTERM']]) {
  test(`${what}: process.exit(4) in an awaited part stops that handler, the rest run, status 4`, async () => {
    const r = await run('async-exit-inside.mjs', { args: [mode], signals });
    assert.equal(r.stdout, `${signals.length ? 'READY\n' : ''}four (sync)\nthree: start\ntwo: sync part\none (sync)\n`);
    noticesFor(r.stderr, ['two'], WHY.now); // the rest run synchronously: two's promise cannot be awaited
    assert.equal(lines(r.stderr).length, 1);
    assert.deepEqual([r.status, r.signal], [4, null]);
  });
}

// atexit.ending(): the async handler runs first, the sync one last.
const seen = (json, after = true) =>
  `async handler: ${json}\n${after ? `async handler after await: ${json}\n` : ''}sync handler: ${json}\n`;
for (const [mode, signals, stdout, status] of [
  ['natural', [], seen('{"reason":"natural","code":3}'), 3],
  ['exit', [], seen('{"reason":"exit","code":4}', false), 4],
  ['atexit-exit', [], seen('{"reason":"exit","code":5}'), 5],
  ['signal', ['SIGTERM'], `READY\n${seen('{"reason":"signal","signal":"SIGTERM"}')}`, null],
  ['throw', [], seen('{"reason":"error"}, error is the one thrown', false), 1],
  ['throw-timer', [], seen('{"reason":"error"}, error is the one thrown', false), 1],
  // Bun does not say which promise was rejected (docs/runtimes.md).
  ['reject', [], seen(`{"reason":"error"}, error ${runtime === 'bun' ? 'is another: undefined' : 'is the one thrown'}`, false), 1],
  ['manual', [], `${seen('{"reason":"manual"}')}main after runExitFuncs: undefined\n`, 0],
]) {
  test(`atexit.ending() in handlers, ${mode}; undefined outside a run`, async () => {
    const r = await run('async-ending.mjs', { args: [mode], signals });
    assert.equal(r.stdout, `main: undefined\n${stdout}`);
    assert.deepEqual([r.status, r.signal], [status, mode === 'signal' ? 'SIGTERM' : null]);
  });
}

test('NODE_DEBUG=atexit: each handler, in order, whether it was awaited and how long it took', async () => {
  const r = await run('async-trace.mjs', { args: ['natural'], env: { NODE_DEBUG: 'atexit' } });
  const trace = lines(r.stderr).filter((line) => line.startsWith('ATEXIT '));
  assert.equal(trace.length, 3, r.stderr);
  const [rejected, awaited, plain] = trace;
  const ms = (line) => Number(/ after (\d+(?:\.\d+)?) ?ms$/.exec(line)?.[1]);
  assert.match(rejected, new RegExp(`^ATEXIT ${'\\d+'}: rejected .*fail`));
  assert.match(awaited, /^ATEXIT \d+: awaited .*\bawaited\b/);
  assert.doesNotMatch(awaited, /not awaited/);
  assert.ok(ms(awaited) >= 45, `the awaited time covers the 50 ms wait: ${awaited}`);
  assert.match(plain, /^ATEXIT \d+: plain /);
  assert.doesNotMatch(plain, /awaited/);
  for (const line of trace) assert.ok(ms(line) >= 0, `a duration in ms: ${line}`);
  assert.deepEqual([r.status, r.signal], [0, null]);
});

test('NODE_DEBUG=atexit on process.exit(): async handlers are traced as not awaited', async () => {
  const r = await run('async-trace.mjs', { args: ['exit'], env: { NODE_DEBUG: 'atexit' } });
  const trace = lines(r.stderr).filter((line) => line.startsWith('ATEXIT '));
  assert.equal(trace.length, 3, r.stderr);
  assert.match(trace[0], /^ATEXIT \d+: rejected .*not awaited.* after \d+(\.\d+)? ?ms$/);
  assert.match(trace[1], /^ATEXIT \d+: awaited .*not awaited.* after \d+(\.\d+)? ?ms$/);
  assert.match(trace[2], /^ATEXIT \d+: plain /);
  assert.deepEqual([r.status, r.signal], [0, null]);
});

test('without NODE_DEBUG=atexit there is no trace', async () => {
  const r = await run('async-trace.mjs', { args: ['natural'] });
  // the handlers did run: the first (rejected) is reported, and that is all stderr says
  assert.match(r.stderr, /^Exception ignored in atexit callback rejected:\nError: traced failure\n/);
  assert.equal(notices(r.stderr).length + lines(r.stderr).filter((line) => line.startsWith('ATEXIT')).length, 0);
  assert.deepEqual([r.stdout, r.status, r.signal], ['', 0, null]);
});

test('Kubernetes: on SIGTERM the HTTP server finishes its request and closes, then the pool; death by SIGTERM', async () => {
  const r = await run('async-graceful-http.mjs', { signals: ['SIGTERM'] });
  // Deno's node:http server.close() does not wait for the request in flight (docs/runtimes.md):
  // whether its response gets out before the signal death is a race there.
  const stdout = runtime === 'deno' ? r.stdout.replace(/^client got .*\n/m, '') : r.stdout;
  assert.equal(
    stdout,
    [
      'READY',
      'shutdown: {"reason":"signal","signal":"SIGTERM"}',
      ...(runtime === 'deno' ? [] : ['client got 200: result of select 1']),
      'server closed',
      'pool closed, 0 queries in flight',
    ].join('\n') + '\n',
  );
  assert.equal(r.stderr, '');
  assert.deepEqual([r.status, r.signal], [null, 'SIGTERM']);
});
