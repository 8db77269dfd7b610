// Checks of the public surface: configure(), the decorator detection in register(), and what
// a refused exit code does to an ending.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import * as atexit from 'atexit';
import { run } from './harness.js';

const defaults = atexit.configure();
afterEach(() => {
  atexit.clear();
  atexit.configure(defaults);
});

test('configure() returns the settings; a deadline of 10 s and the printing reporter by default', () => {
  assert.equal(defaults.deadline, 10_000);
  assert.equal(typeof defaults.reporter, 'function');
  const reporter = () => {};
  assert.deepEqual(atexit.configure({ deadline: 250, reporter }), { deadline: 250, reporter });
  assert.deepEqual(atexit.configure(), { deadline: 250, reporter }, 'kept until changed');
  assert.equal(atexit.configure({ deadline: Infinity }).deadline, Infinity);
  assert.equal(atexit.configure({}).reporter, reporter, 'an option left out is not changed');
});

for (const [what, options] of [
  ['deadline 0', { deadline: 0 }],
  ['a negative deadline', { deadline: -5 }],
  ['a NaN deadline', { deadline: NaN }],
  ['a string deadline', { deadline: '100' }],
  ['a reporter that is not a function', { reporter: 'stderr' }],
]) {
  test(`configure() with ${what} throws a TypeError and changes nothing`, () => {
    const before = atexit.configure();
    assert.throws(() => atexit.configure(options), TypeError);
    assert.deepEqual(atexit.configure(), before);
  });
}

test('the returned settings are a copy: changing them changes nothing', () => {
  const copy = atexit.configure();
  copy.deadline = 1;
  assert.equal(atexit.configure().deadline, defaults.deadline);
});

test('register as a decorator of an instance method throws a TypeError (static methods only)', () => {
  const method = () => {};
  const context = { kind: 'method', static: false, name: 'flush', addInitializer() {} };
  assert.throws(() => atexit.register(method, context), /static methods only/);
  assert.equal(atexit.ncallbacks(), 0);
});

test('one argument that only looks like a decorator context is an argument', async () => {
  const seen = [];
  const record = (arg) => seen.push(arg);
  const notAContext = { kind: 'field', addInitializer() {} };
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  atexit.register(record, notAContext);
  atexit.register(record, proxy); // a revoked Proxy cannot be looked into: an argument all the same
  atexit.register(record, null);
  assert.equal(atexit.ncallbacks(), 3);
  await atexit.runExitFuncs();
  assert.deepEqual(seen.slice(0, 1), [null]);
  assert.equal(seen[1], proxy);
  assert.equal(seen[2], notAContext);
});

test('a callable Proxy whose traps throw is registered (the class check cannot look, so it lets it be)', async () => {
  let ran = 0;
  const hostile = new Proxy(() => ran++, {
    getOwnPropertyDescriptor() {
      throw new Error('no looking');
    },
  });
  atexit.register(hostile);
  await atexit.runExitFuncs();
  assert.equal(ran, 1);
});

test('a handler asking to exit with a code the runtime refuses leaves the status it had', async () => {
  const r = await run('node-bad-code.mjs');
  assert.equal(r.stdout, 'after\n');
  assert.deepEqual([r.status, r.signal], [2, null]);
});

for (const deadline of [2 ** 31, 1e10]) {
  test(`configure() with a deadline of ${deadline} ms (past what a timer can wait) throws a RangeError and changes nothing`, () => {
    const before = atexit.configure();
    assert.throws(() => atexit.configure({ deadline }), { name: 'RangeError', message: /at most 2147483647 ms .* or Infinity, got / });
    assert.deepEqual(atexit.configure(), before);
  });
}

test('configure() takes the longest deadline a timer can wait, 2^31 - 1 ms', () => {
  assert.equal(atexit.configure({ deadline: 2 ** 31 - 1 }).deadline, 2 ** 31 - 1);
});

for (const [code, name] of [[1.5, 'RangeError'], [NaN, 'RangeError'], [2 ** 53, 'RangeError'], ['3', 'TypeError'], [null, 'TypeError'], [3n, 'TypeError']]) {
  test(`exit(${typeof code === 'string' ? `'${code}'` : String(code)}) throws a ${name} at once, runs nothing and keeps the registry`, () => {
    let ran = false;
    atexit.register(() => (ran = true));
    assert.throws(() => atexit.exit(code), { name, message: /^atexit\.exit: the exit code must be an integer, got / });
    assert.equal(atexit.ncallbacks(), 1);
    assert.equal(ran, false);
    assert.equal(atexit.ending(), undefined);
  });
}
