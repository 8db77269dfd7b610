// Checks of the public surface: configure(), the decorator detection in register(), and what
// a refused exit code does to an ending.
import { createRequire } from 'node:module';
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

// Issue 11: each refusal names the option and the value it got.
for (const [what, options, message] of [
  ['deadline 0', { deadline: 0 }, 'atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got the number 0'],
  ['a string deadline', { deadline: '100' }, 'atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got the string "100"'],
  ['a null deadline', { deadline: null }, 'atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got null'],
  ['a string reporter', { reporter: 'stderr' }, 'atexit.configure: reporter must be a function, got the string "stderr"'],
  ['an object reporter', { reporter: {} }, 'atexit.configure: reporter must be a function, got an object'],
  ['null', null, 'atexit.configure: expected an options object, got null'],
  ['a number', 5, 'atexit.configure: expected an options object, got the number 5'],
  ['a misspelt option', { dedline: 5 }, 'atexit.configure: unknown option "dedline"; the options are deadline and reporter'],
  ['a misspelt option next to a good one', { deadline: 5, reporterr: () => {} }, 'atexit.configure: unknown option "reporterr"; the options are deadline and reporter'],
]) {
  test(`configure() with ${what}: the TypeError names it (${message.replace(/^atexit.configure: /, '')}); nothing changes`, () => {
    const before = atexit.configure();
    assert.throws(() => atexit.configure(options), (error) => error instanceof TypeError && error.message === message);
    assert.deepEqual(atexit.configure(), before);
  });
}

for (const deadline of [2 ** 31, 1e10]) {
  test(`configure() with a deadline of ${deadline} ms (past what a timer can wait) throws a RangeError and changes nothing`, () => {
    const before = atexit.configure();
    assert.throws(() => atexit.configure({ deadline }), { name: 'RangeError', message: /at most 2147483647 ms .* or Infinity, got / });
    assert.deepEqual(atexit.configure(), before);
  });
}

for (const [shown, value, message] of [
  ["'x'", 'x', 'got the string "x"'],
  ["''", '', 'got the string ""'],
  ['a long string', 'y'.repeat(100), `got the string "${'y'.repeat(40)}…"`],
  ['42', 42, 'got the number 42'],
  ['true', true, 'got the boolean true'],
  ['10n', 10n, 'got the bigint 10n'],
  ["Symbol('s')", Symbol('s'), 'got the symbol Symbol(s)'],
  ['class Connection {}', class Connection {}, 'got class Connection'],
  ['class {}', class {}, 'got an anonymous class'],
  ['null', null, 'got null'],
]) {
  test(`register(${shown}): the TypeError says "${message}"`, () => {
    assert.throws(() => atexit.register(value), (error) => error instanceof TypeError && error.message === `atexit.register: expected a function, got ${message.replace(/^got /, '')}`);
  });
}

// Issue 11: `import atexit from 'atexit'` (Python's `import atexit`) on every entry.
for (const entry of ['index.js', 'index.cjs', 'deno.js', 'browser.js']) {
  test(`dist/${entry}: the default export holds every named export, the very same functions`, async () => {
    const url = new URL(`../dist/${entry}`, import.meta.url);
    const ns = entry.endsWith('.cjs') ? createRequire(import.meta.url)(url.pathname) : await import(url.href);
    const named = Object.keys(ns).filter((key) => key !== 'default' && key !== '__esModule').sort();
    assert.ok(named.includes('register') && named.length >= 8, named.join());
    assert.deepEqual(Object.keys(ns.default).sort(), named);
    for (const key of named) assert.equal(ns.default[key], ns[key], key);
    assert.ok(Object.isFrozen(ns.default));
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
