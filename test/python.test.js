// CPython's atexit test suite (Lib/test/_test_atexit.py and Lib/test/test_atexit.py), ported,
// and CircuitPython's tests/circuitpython/atexit_test.py. Each test is named after the one it
// comes from. Where JavaScript differs: functions match by identity (no __eq__),
// sys.unraisablehook is configure({ reporter }), _run_exitfuncs/_clear/_ncallbacks are
// runExitFuncs/clear/ncallbacks, and Python's **kwargs are a trailing options object.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import * as atexit from 'atexit';
import { run } from './harness.js';

// GeneralTest.setUp / tearDown
beforeEach(() => atexit.clear());
afterEach(() => atexit.clear());

/** support.catch_unraisable_exception(): a reporter that keeps only the last report. */
function catchUnraisable(body) {
  const previous = atexit.configure().reporter;
  const cm = { unraisable: undefined, count: 0 };
  atexit.configure({
    reporter: (report) => {
      cm.unraisable = report;
      cm.count++;
    },
  });
  try {
    body(cm);
  } finally {
    atexit.configure({ reporter: previous });
  }
  return cm;
}

/** GeneralTest.assert_raises_unraisable */
function assertRaisesUnraisable(excType, func, ...args) {
  const cm = catchUnraisable(() => {
    atexit.register(func, ...args);
    atexit.runExitFuncs();
  });
  assert.equal(cm.count, 1);
  assert.ok(cm.unraisable.error instanceof excType, `expected a ${excType.name}, got ${cm.unraisable.error}`);
  assert.equal(cm.unraisable.error.constructor, excType);
  assert.equal(cm.unraisable.message, `Exception ignored in atexit callback ${func.name}`);
  assert.equal(cm.unraisable.handler, func);
}

test('test_order (CPython)', () => {
  const calls = [];
  const func1 = (...args) => calls.push(['func1', args]);
  const func2 = (...args) => calls.push(['func2', args]);
  atexit.register(func1, 1, 2);
  atexit.register(func2);
  atexit.register(func2, 3, { key: 'value' });
  atexit.runExitFuncs();
  assert.deepEqual(calls, [
    ['func2', [3, { key: 'value' }]],
    ['func2', []],
    ['func1', [1, 2]],
  ]);
});

test('test_badargs (CPython)', () => {
  // JavaScript does not check arity; the JS form of "called with arguments it cannot take"
  // is a handler that fails on what it was (not) given.
  function func(options) {
    return options.key;
  }
  assertRaisesUnraisable(TypeError, func);
});

test('test_raise (CPython)', () => {
  function raiseTypeError() {
    throw new TypeError();
  }
  assertRaisesUnraisable(TypeError, raiseTypeError);
});

test('test_raise_unnormalized (CPython)', () => {
  // 1 / 0 is Infinity in JavaScript; BigInt division by zero throws, from the engine itself.
  function div_zero() {
    return 1n / 0n;
  }
  assertRaisesUnraisable(RangeError, div_zero);
});

for (const [how, stdout] of [
  ['natural', 'first\nlast\n'],
  ['exit', 'first\nlast\n'],
  ['throw', 'first\nlast\n'],
]) {
  test(`test_exit (CPython): process.exit registered as a handler, program ends by ${how}`, async () => {
    // CPython reports the SystemExit and goes on; SPEC §2: process.exit in a handler is
    // SystemExit, which prints nothing, lets the remaining handlers run and sets the status.
    const r = await run('python-exit.mjs', { args: [how] });
    assert.equal(r.stdout, stdout);
    if (how === 'throw') assert.match(r.stderr, /error: uncaught/i); // Bun writes `error:`
    else assert.equal(r.stderr, '');
    assert.deepEqual([r.status, r.signal], [5, null]);
  });
}

test('test_stress (CPython)', () => {
  let a = 0;
  const inc = () => a++;
  for (let i = 0; i < 128; i++) atexit.register(inc);
  atexit.runExitFuncs();
  assert.equal(a, 128);
});

test('test_clear (CPython)', () => {
  let a = 0;
  atexit.register(() => a++);
  atexit.clear();
  atexit.runExitFuncs();
  assert.equal(a, 0);
});

test('test_unregister (CPython)', () => {
  let a = 0;
  const inc = () => a++;
  const dec = () => a--;
  for (let i = 0; i < 4; i++) atexit.register(inc);
  atexit.register(dec);
  atexit.unregister(inc);
  atexit.runExitFuncs();
  assert.equal(a, -1);
});

test('test_bound_methods (CPython)', () => {
  const l = [];
  atexit.register(l.push.bind(l), 5);
  atexit.runExitFuncs();
  assert.deepEqual(l, [5]);
  // A new bound function is not the registered one (identity); nothing is left anyway.
  atexit.unregister(l.push.bind(l));
  atexit.runExitFuncs();
  assert.deepEqual(l, [5]);
});

test('test_atexit_with_unregistered_function (CPython)', () => {
  // bpo-46025: a handler that unregisters itself while it runs, then fails.
  function func() {
    atexit.unregister(func);
    return 1n / 0n;
  }
  atexit.register(func);
  try {
    const cm = catchUnraisable(() => atexit.runExitFuncs());
    assert.equal(cm.count, 1);
    assert.equal(cm.unraisable.error.constructor, RangeError);
    assert.equal(cm.unraisable.message, 'Exception ignored in atexit callback func');
    assert.equal(cm.unraisable.handler, func);
  } finally {
    atexit.unregister(func);
  }
});

// gh-112127: Python's __eq__ let unregister re-enter unregister/_clear mid-comparison. Identity
// matching runs no user code, so the JS intent is: a hostile value given to unregister, and a
// registry changed by unregister/clear while it is being run, never throw or crash.
for (const [name, action] of [
  ['unregister', (other) => atexit.unregister(other)],
  ['clear', () => atexit.clear()],
]) {
  test(`test_eq_unregister_clear (CPython): ${name}`, () => {
    const { proxy: evil, revoke } = Proxy.revocable(function Evil() {}, {
      get: (target, key) => (action(target), Reflect.get(target, key)),
      apply: (target) => action(target),
    });
    atexit.register(() => {});
    atexit.unregister(evil);
    atexit.register(evil);
    atexit.register(() => {});
    const cm = catchUnraisable(() => atexit.runExitFuncs());
    assert.equal(cm.count, 0);
    revoke();
    atexit.register(() => {});
    atexit.unregister(evil);
    atexit.clear();
    assert.equal(atexit.ncallbacks(), 0);
  });
}

// gh-142881: registrations removed in the middle of unregistering must leave the rest alone.
// The JS form of CPython's what/when matrix: f1, f2, f3 registered; the handler that runs
// `when`-th unregisters `what`. SPEC §2: a handler unregistered before its turn is skipped;
// one that already ran, or is running, is unaffected; nothing else is skipped.
{
  const log = [];
  let cnt = 0;
  let what;
  let when;
  const step = (n) => {
    log.push(n);
    if (++cnt === when) atexit.unregister(what);
  };
  const f1 = () => step(1);
  const f2 = () => step(2);
  const f3 = () => step(3);
  const position = new Map([[f3, 1], [f2, 2], [f1, 3]]); // run order: newest first
  for (const [whatName, whatFunc] of [['f1', f1], ['f2', f2], ['f3', f3]]) {
    for (const w of [1, 2, 3]) {
      const expected = [3, 2, 1].filter((n) => !(n === Number(whatName[1]) && position.get(whatFunc) > w));
      test(`test_eq_unregister (CPython): what=${whatName} when=${w} -> [${expected}]`, () => {
        cnt = 0;
        log.length = 0;
        what = whatFunc;
        when = w;
        atexit.register(f1);
        atexit.register(f2);
        atexit.register(f3);
        atexit.runExitFuncs();
        assert.deepEqual(log, expected);
        assert.equal(atexit.ncallbacks(), 0);
      });
    }
  }
}

test('test_general (CPython): the general tests in a process of their own end cleanly', async () => {
  const r = await run('python-general.mjs');
  assert.equal(r.stdout, '["second",[1,2]]\nncallbacks 0\n');
  assert.equal(r.stderr, '');
  assert.deepEqual([r.status, r.signal], [0, null]);
});

test('test_shutdown (CPython)', async () => {
  const r = await run('python-shutdown.mjs');
  assert.equal(r.stdout, 'two\none\n');
  assert.equal(r.stderr, '');
  assert.deepEqual([r.status, r.signal], [0, null]);
});

test('test_atexit_instances (CPython): the ESM and the CJS build share one registry', async () => {
  const r = await run('python-instances.mjs');
  assert.equal(r.stdout, 'atexit2\natexit1\n');
  assert.equal(r.stderr, '');
  assert.deepEqual([r.status, r.signal], [0, null]);
});

// CircuitPython's atexit_test.py has no expected-output file: its expected output is what
// CPython prints for it. Ours is that output with arrays and objects printed as JSON (the same on every runtime).
const circuitPythonProgram = `import atexit

@atexit.register
def skip_at_exit():
    print("skip at exit")

@atexit.register
def do_at_exit(*args, **kwargs):
    print("done at exit:", args, kwargs)

atexit.unregister(skip_at_exit)
atexit.register(do_at_exit, "ok", 1, arg="2", param=(3, 4))
print("done before exit")
`;
const circuitPythonExpected = 'done before exit\ndone at exit: ["ok",1] {"arg":"2","param":[3,4]}\ndone at exit: [] {}\n';
/** The same line in Python's and JavaScript's printing: brackets, quotes and spaces dropped. */
const plain = (text) => text.split('\n').map((line) => line.replace(/[\s()[\]{}'"]/g, ''));

test('atexit_test.py (CircuitPython)', async () => {
  const r = await run('circuitpython.mjs');
  assert.equal(r.stdout, circuitPythonExpected);
  assert.equal(r.stderr, '');
  assert.deepEqual([r.status, r.signal], [0, null]);
});

const python = spawnSync('python3', ['--version']).status === 0;
test('atexit_test.py (CircuitPython): same lines in the same order as python3 prints', { skip: !python && 'python3 not found' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atexit-py-'));
  try {
    writeFileSync(join(dir, 'atexit_test.py'), circuitPythonProgram);
    const py = spawnSync('python3', [join(dir, 'atexit_test.py')], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout, "done before exit\ndone at exit: ('ok', 1) {'arg': '2', 'param': (3, 4)}\ndone at exit: () {}\n");
    const r = await run('circuitpython.mjs');
    assert.deepEqual(plain(r.stdout), plain(py.stdout));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
