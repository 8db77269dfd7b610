// Node: one child-process fixture per SPEC line that test/endings.test.js does not cover, and
// the API's contract on bad input, duplicates and arguments, in process.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, test } from 'node:test';
import * as atexit from 'atexit';
import { command, run, runtime } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const report = (name, error) => new RegExp(`^Exception ignored in atexit callback ${name}:\\n${error}\\n`, 'm');

afterEach(() => atexit.clear());

// SPEC §3: "the same signal while a user's own listener for it exists".
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  for (const order of ['before', 'after']) {
    test(`${signal} with the program's own listener (added ${order} register): handlers not run at the signal, once at the natural end`, async () => {
      const r = await run('node-user-listener.mjs', { args: [signal, 'natural', order], signals: [signal, signal] });
      assert.equal(r.stdout, 'READY\nuser listener 1\nREADY\nuser listener 2\nhandler\n');
      assert.equal(r.stderr, '');
      assert.deepEqual([r.status, r.signal], [0, null]);
    });
  }
  test(`${signal} with the program's own listener that calls process.exit(3): handlers run once, status 3`, async () => {
    const r = await run('node-user-listener.mjs', { args: [signal, 'exit', 'after'], signals: [signal, signal] });
    assert.equal(r.stdout, 'READY\nuser listener 1\nREADY\nuser listener 2\nhandler\n');
    assert.deepEqual([r.status, r.signal], [3, null]);
  });
}

// SPEC §2: process.exit(n) inside a handler is SystemExit; the last request wins.
for (const [how, signals] of [['natural', []], ['exit', []], ['throw', []], ['SIGTERM', ['SIGTERM']], ['SIGINT', ['SIGINT']]]) {
  test(`process.exit(n) inside handlers, program ends by ${how}: the rest still run, nothing printed, the last request (4) is the status`, async () => {
    const r = await run('node-exit-in-handler.mjs', { args: [how], signals });
    assert.equal(r.stdout, `${signals.length ? 'READY\n' : ''}h3\nh2\nh1\n`);
    // Only the runtime's report of the uncaught error, which shows the fixture's path (and so
    // may contain "atexit"): no line of ours.
    if (how === 'throw') assert.doesNotMatch(r.stderr, /^(Exception ignored|atexit:|ATEXIT \d+:)/m);
    else assert.equal(r.stderr, '');
    assert.deepEqual([r.status, r.signal], [4, null]);
  });
}

// SPEC §2: "The exit status is not changed by a handler's exception."
for (const [how, status, signal] of [
  ['natural', 0, null],
  ['exitCode', 4, null],
  ['exit', 3, null],
  ['throw', 1, null],
  ['SIGINT', null, 'SIGINT'],
  ['SIGTERM', null, 'SIGTERM'],
  ['SIGHUP', null, 'SIGHUP'],
]) {
  test(`a handler that throws, program ends by ${how}: reported, the rest run, ${signal ? `still killed by ${signal}` : `status stays ${status}`}`, async () => {
    const signals = signal ? [signal] : [];
    const r = await run('node-throw-status.mjs', { args: [how], signals });
    assert.equal(r.stdout, `${signal ? 'READY\n' : ''}runs first\nruns last\n`);
    assert.match(r.stderr, report('bad', 'Error: boom'));
    assert.deepEqual([r.status, r.signal], [status, signal]);
  });
}

// SPEC §2: registration and unregistration while handlers run.
for (const [how, signals] of [['natural', []], ['exit', []], ['SIGTERM', ['SIGTERM']]]) {
  test(`registered while handlers run (program ends by ${how}): not run`, async () => {
    const r = await run('node-register-during.mjs', { args: [how], signals });
    assert.equal(r.stdout, `${signals.length ? 'READY\n' : ''}registers another\nregistered first, runs last\n`);
    // Said on stderr once the run is over, one line naming it and where it was registered (issue 28).
    assert.match(r.stderr, /^atexit: <anonymous> \(registered at \S*node-register-during\.mjs:6:\d+\) was registered while handlers ran: it did not run\n$/);
    assert.deepEqual([r.status, r.signal], signals.length ? [null, 'SIGTERM'] : [0, null]);
  });
  test(`unregistered while handlers run, before its turn (program ends by ${how}): skipped`, async () => {
    const r = await run('node-unregister-during.mjs', { args: [how], signals });
    assert.equal(r.stdout, `${signals.length ? 'READY\n' : ''}runs first\nunregisters\nruns last\n`);
    assert.equal(r.stderr, '');
    assert.deepEqual([r.status, r.signal], signals.length ? [null, 'SIGTERM'] : [0, null]);
  });
}

test('registered during runExitFuncs(): not run, and gone after the run', () => {
  const calls = [];
  atexit.register(() => calls.push('first registered'));
  atexit.register(() => {
    calls.push('registers');
    atexit.register(() => calls.push('late'));
  });
  atexit.runExitFuncs();
  assert.deepEqual(calls, ['registers', 'first registered']);
  assert.equal(atexit.ncallbacks(), 0);
  atexit.runExitFuncs();
  assert.deepEqual(calls, ['registers', 'first registered']);
});

// SPEC §4: nothing installed at import; everything removed when the registry empties.
let listenersRun;
const listeners = () => (listenersRun ??= run('node-listeners.mjs'));
const watched = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'];
const denoSignals = runtime === 'deno' && "Deno's adapter listens through Deno.addSignalListener and window events, which process.listenerCount does not count (test/runtimes covers Deno)";
test('nothing installed at import; listeners appear with the first register and go with the last, default SIGTERM death returns', { skip: denoSignals }, async () => {
  const r = await listeners();
  const stages = JSON.parse(r.stdout.split('\n')[0]);
  assert.deepEqual(stages.imported, stages.before);
  for (const event of watched) assert.ok(stages.registered[event] > stages.before[event], `no ${event} listener while handlers are registered`);
  assert.deepEqual(stages.cleared, stages.before, 'after clear()');
  assert.deepEqual(stages.unregistered, stages.before, 'after unregister()');
  assert.deepEqual(stages.ran, stages.before, 'after runExitFuncs()');
  assert.equal(r.stdout.split('\n').length, 2, r.stdout);
  assert.equal(r.stderr, '');
  assert.deepEqual([r.status, r.signal], [null, 'SIGTERM']);
});

test('never listens to SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGPROF, SIGTRAP, SIGUSR1, SIGPIPE, nor message/disconnect', async () => {
  const { stdout } = await listeners();
  const stages = JSON.parse(stdout.split('\n')[0]);
  for (const event of ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGPROF', 'SIGTRAP', 'SIGUSR1', 'SIGPIPE', 'message', 'disconnect']) {
    assert.equal(stages.registered[event], stages.before[event], `${event} listener added`);
    assert.ok(!stages.names.includes(event) || stages.before[event] > 0, `${event} listener added`);
  }
});

test('a child forked with IPC that registers handlers ends by itself, its handlers run', async () => {
  const [execPath] = command('');
  const child = fork(fileURLToPath(new URL('fixtures/node-fork-child.mjs', import.meta.url)), [], {
    cwd: root,
    execPath,
    env: { ...process.env, NODE_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stdout = '';
  let stderr = '';
  const messages = [];
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  child.on('message', (message) => messages.push(message));
  const ended = await new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('did not end by itself within 15 s');
    }, 15_000);
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve([status, signal]);
    });
  });
  assert.deepEqual(ended, [0, null], `stdout: ${stdout}\nstderr: ${stderr}`);
  assert.deepEqual(messages, ['hello from the child']);
  assert.equal(stdout, 'child main, ipc true\nchild handler\n');
  assert.equal(stderr, '');
});

test('100 000 registrations: no MaxListenersExceededWarning, all run newest first', async () => {
  const r = await run('node-many.mjs', { timeout: 60_000 });
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'ncallbacks 100000');
  assert.equal(lines.at(-1), '');
  const ran = lines.slice(1, -1);
  assert.equal(ran.length, 100_000);
  assert.equal(ran[0], '99999');
  assert.equal(ran.at(-1), '0');
  assert.ok(ran.every((line, i) => line === String(99_999 - i)), 'not in LIFO order');
  assert.deepEqual([r.status, r.signal], [0, null]);
});

for (const [arg, how, code, extra] of [
  ['natural', 'ends by itself', 0, ''],
  ['exit', 'calls process.exit(3)', 3, ''],
  ['throw', 'throws', 1, 'main: worker error worker boom\n'],
]) {
  test(`worker_threads: a worker that ${how} runs its own handlers; the main thread's are separate`, async () => {
    const r = await run('node-worker.mjs', { args: [arg] });
    const expected = `worker ncallbacks 2\nworker handler 2\nworker handler 1\n${extra}main: worker exit ${code}, main ncallbacks 1\nmain handler\n`;
    if (arg === 'throw' && !runtime.startsWith('node')) {
      // Bun tells the main thread's 'error' before the worker's handlers run; Deno also prints
      // the worker's error. The same lines, then, and the worker's own in LIFO order.
      assert.deepEqual(r.stdout.split('\n').sort(), expected.split('\n').sort());
      assert.match(r.stdout, /worker handler 2\n(.*\n)?worker handler 1\n/);
    } else {
      assert.equal(r.stdout, expected);
      assert.equal(r.stderr, '');
    }
    assert.deepEqual([r.status, r.signal], [0, null]);
  });
}

test('two installed copies of the package, each as ESM and CJS, share one registry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atexit-copies-'));
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const [name, version] of [['atexit-a', manifest.version], ['atexit-b', '1.99.0']]) {
      const to = join(dir, 'node_modules', name);
      mkdirSync(to, { recursive: true });
      cpSync(join(root, 'dist'), join(to, 'dist'), { recursive: true });
      writeFileSync(join(to, 'package.json'), JSON.stringify({ ...manifest, name, version }));
    }
    const r = await run('node-two-copies.mjs', { args: [dir] });
    assert.equal(r.stdout, 'ncallbacks 5 5 5 5 5\nself\nb esm\na cjs\nb cjs\na esm\n');
    assert.equal(r.stderr, '');
    assert.deepEqual([r.status, r.signal], [0, null]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const flag of ['atexit', 'net,ATEXIT']) {
  test(`NODE_DEBUG=${flag}: one trace line per handler with its name, how it ended and its duration`, async () => {
    const r = await run('node-debug.mjs', { env: { NODE_DEBUG: flag } });
    assert.equal(r.stdout, 'main done\n');
    const traces = r.stderr.split('\n').filter((line) => line.startsWith('ATEXIT'));
    const ms = String.raw`after \d+(\.\d+)? ms$`;
    assert.equal(traces.length, 4, r.stderr);
    assert.match(traces[0], new RegExp(String.raw`^ATEXIT \d+: ok returned ${ms}`));
    assert.match(traces[1], new RegExp(String.raw`^ATEXIT \d+: <anonymous> returned ${ms}`));
    assert.match(traces[2], new RegExp(String.raw`^ATEXIT \d+: bad failed \(registered at \S+node-debug\.mjs:\d+:\d+\) ${ms}`));
    assert.match(traces[3], new RegExp(String.raw`^ATEXIT \d+: quits asked to exit \(3\) ${ms}`));
    assert.match(r.stderr, report('bad', 'Error: boom'));
    assert.deepEqual([r.status, r.signal], [3, null]);
  });
}

test('without NODE_DEBUG=atexit: no trace lines', async () => {
  const r = await run('node-debug.mjs', { env: { NODE_DEBUG: 'net' } });
  assert.doesNotMatch(r.stderr, /^ATEXIT \d+:/m);
  assert.deepEqual([r.status, r.signal], [3, null]);
});

// SPEC §1 and issue 2 "Bad input", in process.
for (const [shown, value, named] of [
  ['42', 42, /42/],
  ["'x'", 'x', /string/],
  ['null', null, /null/],
  ['undefined', undefined, /undefined/],
  ['{}', {}, /object/],
  ['[func]', [() => {}], /array/],
  ['Symbol()', Symbol('s'), /symbol/],
  ['10n', 10n, /bigint 10/],
]) {
  test(`register(${shown}) throws a TypeError naming what it got; nothing registered, nothing installed`, () => {
    const exits = process.listenerCount('exit');
    assert.throws(() => atexit.register(value), (error) => error instanceof TypeError && named.test(error.message));
    assert.throws(() => atexit.register(value, 1, 2), TypeError);
    assert.equal(atexit.ncallbacks(), 0);
    assert.equal(process.listenerCount('exit'), exits);
  });
}

test('register() with no arguments throws a TypeError; nothing registered', () => {
  assert.throws(() => atexit.register(), (error) => error instanceof TypeError && /got undefined/.test(error.message));
  assert.equal(atexit.ncallbacks(), 0);
});

test('register(SomeClass) throws a TypeError naming the class; nothing registered', () => {
  class Connection {}
  assert.throws(() => atexit.register(Connection), (error) => error instanceof TypeError && /Connection/.test(error.message));
  assert.throws(() => atexit.register(class {}), TypeError);
  assert.equal(atexit.ncallbacks(), 0);
});

test('unregister(anything) never throws', () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  const { proxy: fnProxy, revoke: revokeFn } = Proxy.revocable(() => {}, {});
  atexit.register(fnProxy);
  revoke();
  revokeFn();
  const hostile = new Proxy({}, { get: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
  for (const value of [undefined, null, 0, NaN, -0, '', 'x', 42n, Symbol('s'), {}, [], proxy, fnProxy, hostile, Object.create(null), () => {}, class {}]) {
    assert.doesNotThrow(() => atexit.unregister(value));
  }
  assert.doesNotThrow(() => atexit.unregister());
  assert.equal(atexit.ncallbacks(), 0);
});

test('register returns func itself', () => {
  const func = () => {};
  assert.equal(atexit.register(func), func);
  assert.equal(atexit.register(func, 1, { a: 2 }), func);
});

test('duplicates: each registration runs, with its own arguments', () => {
  const calls = [];
  const f = (...args) => calls.push(args);
  atexit.register(f, 'a');
  atexit.register(f);
  atexit.register(f, 'b', 1);
  assert.equal(atexit.ncallbacks(), 3);
  atexit.runExitFuncs();
  assert.deepEqual(calls, [['b', 1], [], ['a']]);
});

test('arguments are stored by reference: a mutated object is seen mutated at exit', () => {
  const seen = [];
  const state = { count: 0 };
  const list = [];
  atexit.register((s, l) => seen.push(s, [...l]), state, list);
  state.count = 5;
  list.push('later');
  atexit.runExitFuncs();
  assert.equal(seen[0], state);
  assert.deepEqual(seen, [{ count: 5 }, ['later']]);
});

test('unregister removes every duplicate at once, and only that function', () => {
  const calls = [];
  const f = () => calls.push('f');
  const g = () => calls.push('g');
  atexit.register(f);
  atexit.register(g);
  atexit.register(f, 1);
  atexit.register(f, 2);
  assert.equal(atexit.ncallbacks(), 4);
  atexit.unregister(f);
  assert.equal(atexit.ncallbacks(), 1);
  atexit.runExitFuncs();
  assert.deepEqual(calls, ['g']);
});
