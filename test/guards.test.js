// Endings that `npm test` must guard on Node (issue 20): each was once broken by a one-line
// change (see scripts/mutants.js) that only the runtime matrix, or no test, caught. The matrix
// (test/runtimes) keeps checking them on the other runtimes; here they run on this node, from the
// same fixtures where they exist.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { command, run } from './harness.js';

const matrix = (name, options) => run(`../runtimes/fixtures/${name}`, options);

for (const [how, stdout] of [
  ['self', 'handler done\nfirst\n'],
  ['manual', 'handler done\nfirst\nafter runExitFuncs\n'],
]) {
  const who = how === 'self' ? 'at the natural end' : 'run by runExitFuncs() (the program would go on)';
  test(`a handler ${who} sends SIGTERM to its own process: not lost when the run ends, death by SIGTERM`, async () => {
    const r = await matrix('syncsignal.mjs', { args: [how] });
    assert.equal(r.stdout, stdout);
    assert.deepEqual([r.status, r.signal, r.stderr], [null, 'SIGTERM', '']);
  });
}

test('a handler sends SIGTERM to its own process, the program calls atexit.clear() right after the run: the listeners stay until the signal is heard, death by SIGTERM', async () => {
  const r = await run('guards.mjs', { args: ['linger-clear'] });
  assert.equal(r.stdout, 'handler done\n');
  assert.deepEqual([r.status, r.signal, r.stderr], [null, 'SIGTERM', '']);
});

test('natural end: after a handler calls process.exit(4), ending() in a later handler says code 4', async () => {
  const r = await run('guards.mjs', { args: ['natural-exit'] });
  assert.equal(r.stdout, 'exiter {"reason":"natural","code":0}\nlater {"reason":"natural","code":4}\n');
  assert.deepEqual([r.status, r.signal, r.stderr], [4, null, '']);
});

test('atexit.exit(3) awaits a handler when an uncaught error ends the program: the older handler is told the error, status 1', async () => {
  const r = await run('guards.mjs', { args: ['error-while-waiting'] });
  assert.equal(r.stdout, 'waits {"reason":"exit","code":3}\nolder error boom\n');
  assert.deepEqual([r.status, r.signal], [1, null]);
  assert.match(r.stderr, /Error: boom/);
});

test('atexit.exit(3) with a stdout that never drains and a timer keeping the program alive: status 3 once the drain gives up', async () => {
  const r = await run('guards.mjs', { args: ['stuck-stdout'], timeout: 8_000 });
  assert.equal(r.stdout, 'handler {"reason":"exit","code":3}\n');
  assert.deepEqual([r.status, r.signal, r.stderr], [3, null, '']);
});

test("the program's own 'exit' listener prepended after the first register calls process.exit(7): the handlers run, status 7", async () => {
  const r = await matrix('exit-first.mjs', { args: ['after'] });
  assert.equal(r.stdout, 'handler {"reason":"exit","code":7}\n');
  assert.deepEqual([r.status, r.signal, r.stderr], [7, null, '']);
});

test("the program's own beforeExit listener schedules a last batch: the handlers run after it", async () => {
  const r = await matrix('policy.mjs', { args: ['revive'] });
  assert.equal(r.stdout, 'last batch\nhandler {"reason":"natural","code":0}\n');
  assert.deepEqual([r.status, r.signal, r.stderr], [0, null, '']);
});

for (const how of ['handled-throw', 'handled-reject']) {
  const what = how === 'handled-throw' ? 'an uncaught exception' : 'a rejection';
  test(`${what} handled by the program's uncaughtException listener, then process.exit(5): ending() says exit 5, not the error`, async () => {
    const r = await matrix('policy.mjs', { args: [how] });
    assert.equal(r.stdout, 'program handled boom\nhandler {"reason":"exit","code":5}\n');
    assert.deepEqual([r.status, r.signal, r.stderr], [5, null, '']);
  });
}

test('the deadline counts from the start of the run: a synchronous handler that used half of it (150 of 300 ms) leaves the awaited one (250 ms) only the rest', async () => {
  const r = await run('guards.mjs', { args: ['deadline-spent'] });
  assert.equal(r.stdout, 'busy: done\n');
  assert.equal(r.stderr, 'atexit: deadline of 300 ms passed while awaiting late; the remaining handlers run without waiting\n');
  assert.deepEqual([r.status, r.signal], [0, null]);
});

test('an awaited handler that settled at once, then one awaiting a timer: the run leaves no deadline timer behind (10 s)', async () => {
  const r = await matrix('settled-first.mjs', { timeout: 8_000 });
  assert.equal(r.stdout, 'settled\nawaited\nsync handler\n');
  assert.deepEqual([r.status, r.signal, r.stderr], [0, null, '']);
});

test('the deadline passed while a handler\'s 1 MiB waits in the pipe (the reader is slow): the output still goes out before the exit (drained for at least 1 s)', async () => {
  const [file, argv] = command(fileURLToPath(new URL('fixtures/guards.mjs', import.meta.url)), ['slow-reader']);
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = 0;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  child.stdout.pause(); // read nothing until the deadline has passed
  setTimeout(() => child.stdout.on('data', (chunk) => (stdout += chunk.length)).resume(), 400);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [status, signal] = await new Promise((resolve) => child.on('close', (...end) => resolve(end)));
  clearTimeout(timer);
  assert.deepEqual([stdout, status, signal], [2 ** 20 + 1, 3, null]);
  assert.equal(stderr, 'atexit: deadline of 100 ms passed while awaiting big; the remaining handlers run without waiting\n');
});

test('a handler writes to a stdout the reader has closed (EPIPE), then atexit.exit(0): the error is taken, status 0', async () => {
  const [file, argv] = command(fileURLToPath(new URL('fixtures/guards.mjs', import.meta.url)), ['epipe']);
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk) => chunk.includes('CLOSE') && child.stdout.destroy());
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [status, signal] = await new Promise((resolve) => child.on('close', (...end) => resolve(end)));
  clearTimeout(timer);
  assert.deepEqual([status, signal, stderr], [0, null, '']);
});

test('an awaited handler writes to a stderr the reader has closed (EPIPE) with process.stderr.write, then awaits: the ending stays atexit.exit(0), the handler finishes, status 0', async () => {
  const [file, argv] = command(fileURLToPath(new URL('fixtures/guards.mjs', import.meta.url)), ['epipe-stderr']);
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
    if (chunk.includes('CLOSE')) child.stderr.destroy();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [status, signal] = await new Promise((resolve) => child.on('close', (...end) => resolve(end)));
  clearTimeout(timer);
  assert.equal(stdout, 'CLOSE\nwriter: done\nolder {"reason":"exit","code":0}\n');
  assert.deepEqual([status, signal], [0, null]);
});
