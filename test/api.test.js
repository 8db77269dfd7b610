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
  const signals = defaults.signals;
  assert.deepEqual(atexit.configure({ deadline: 250, reporter }), { deadline: 250, reporter, signals });
  assert.deepEqual(atexit.configure(), { deadline: 250, reporter, signals }, 'kept until changed');
  assert.equal(atexit.configure({ deadline: Infinity }).deadline, Infinity);
  assert.equal(atexit.configure({}).reporter, reporter, 'an option left out is not changed');
});

for (const [what, options, kind] of [
  ['deadline 0', { deadline: 0 }, RangeError],
  ['a negative deadline', { deadline: -5 }, RangeError],
  ['a NaN deadline', { deadline: NaN }, RangeError],
  ['a string deadline', { deadline: '100' }, TypeError],
  ['a reporter that is not a function', { reporter: 'stderr' }, TypeError],
]) {
  test(`configure() with ${what} throws a ${kind.name} and changes nothing`, () => {
    const before = atexit.configure();
    assert.throws(() => atexit.configure(options), kind);
    assert.deepEqual(atexit.configure(), before);
  });
}

test('configure() reads only own options: inherited ones (a polluted Object.prototype) are absent', () => {
  const reporter = () => {};
  atexit.configure({ deadline: 250, reporter });
  const polluter = () => {};
  Object.prototype.deadline = 1;
  Object.prototype.reporter = polluter;
  Object.prototype.unknownOption = true;
  Object.prototype.signals = ['SIGQUIT'];
  const signals = atexit.configure().signals;
  let result;
  let inherited;
  try {
    result = atexit.configure({});
    inherited = atexit.configure(Object.create({ deadline: 5 }));
  } finally {
    delete Object.prototype.deadline;
    delete Object.prototype.reporter;
    delete Object.prototype.unknownOption;
    delete Object.prototype.signals;
  }
  assert.deepEqual([result.deadline, result.reporter, result.signals], [250, reporter, signals]);
  assert.deepEqual([inherited.deadline, inherited.reporter], [250, reporter], 'an option on the object\'s own prototype is not its own either');
  // Handed out as a plain object, as before
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
  assert.deepEqual(Object.keys(result), ['deadline', 'reporter', 'signals']);
});

test('ending() results are plain objects to the program', async () => {
  let seen;
  atexit.register(() => (seen = atexit.ending()));
  await atexit.runExitFuncs();
  assert.deepEqual(seen, { reason: 'manual' });
  assert.equal(Object.getPrototypeOf(seen), Object.prototype);
});

test('the returned settings are a copy: changing them changes nothing', () => {
  const copy = atexit.configure();
  const { deadline } = copy; // not `defaults.deadline`: were the settings live, that would change too
  copy.deadline = 1;
  assert.equal(atexit.configure().deadline, deadline);
  assert.notEqual(deadline, 1);
});

test('register as a decorator of an instance method throws a TypeError (static methods only)', () => {
  const method = () => {};
  const context = { kind: 'method', static: false, name: 'flush', addInitializer() {} };
  assert.throws(() => atexit.register(method, context), {
    name: 'TypeError',
    message: "atexit.register decorates static methods only, got the instance method flush: at exit there is no instance. Make it static, or call atexit.register(() => this.flush()) in the constructor",
  });
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
  ['a string deadline', { deadline: '100' }, 'atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got the string "100"'],
  ['a null deadline', { deadline: null }, 'atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got null'],
  ['a string reporter', { reporter: 'stderr' }, 'atexit.configure: reporter must be a function, got the string "stderr"'],
  ['an object reporter', { reporter: {} }, 'atexit.configure: reporter must be a function, got an object'],
  ['null', null, 'atexit.configure: expected an options object, got null'],
  ['a number', 5, 'atexit.configure: expected an options object, got the number 5'],
  ['a misspelt option', { dedline: 5 }, 'atexit.configure: unknown option "dedline"; the options are deadline, reporter and signals'],
  ['a misspelt option next to a good one', { deadline: 5, reporterr: () => {} }, 'atexit.configure: unknown option "reporterr"; the options are deadline, reporter and signals'],
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

// Issue 28: the common mistakes get a hint saying what to do, after what was got.
const cleanup = () => {};
const flush = async () => {};
for (const [shown, value, hint] of [
  ['cleanup()', cleanup(), 'undefined: did you call it? Pass the function itself: atexit.register(f), not atexit.register(f())'],
  ['flush() (an async function)', flush(), 'a Promise: the function already ran. Pass the function itself: atexit.register(f), not atexit.register(f())'],
  ['a thenable', { then() {} }, 'a Promise: the function already ran.'],
]) {
  test(`register(${shown}): the TypeError says what it got and what to do`, () => {
    assert.throws(() => atexit.register(value), (error) => error instanceof TypeError && error.message.startsWith(`atexit.register: expected a function, got ${hint}`));
    assert.throws(() => atexit.defer(value), (error) => error instanceof TypeError && error.message.startsWith(`atexit.defer: expected a function, got ${hint.replaceAll('register(', 'defer(')}`));
    assert.equal(atexit.ncallbacks(), 0);
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

// Issue 15: one style of refusal: a value of the wrong type is a TypeError, a number out of range
// a RangeError, and both name the value as configure() and exit() do.
for (const [what, call, name, message] of [
  ['configure({ deadline: 0 })', () => atexit.configure({ deadline: 0 }), 'RangeError', 'atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got the number 0'],
  ['configure({ deadline: -1 })', () => atexit.configure({ deadline: -1 }), 'RangeError', 'atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got the number -1'],
  ['configure({ deadline: NaN })', () => atexit.configure({ deadline: NaN }), 'RangeError', 'atexit.configure: deadline must be a number of ms above 0 (Infinity allowed), got the number NaN'],
  ['exit(null)', () => atexit.exit(null), 'TypeError', 'atexit.exit: the exit code must be an integer, got null'],
  ['exit(true)', () => atexit.exit(true), 'TypeError', 'atexit.exit: the exit code must be an integer, got the boolean true'],
  ['exit("3")', () => atexit.exit('3'), 'TypeError', 'atexit.exit: the exit code must be an integer, got the string "3"'],
  ['exit(1.5)', () => atexit.exit(1.5), 'RangeError', 'atexit.exit: the exit code must be an integer, got the number 1.5'],
  ['exit(() => 1)', () => atexit.exit(() => 1), 'TypeError', 'atexit.exit: the exit code must be an integer, got an anonymous function'],
]) {
  test(`${what} throws a ${name}: ${message.replace(/^atexit\.\w+: /, '')}`, () => {
    const before = atexit.configure();
    assert.throws(call, (error) => error.constructor.name === name && error.message === message);
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

test('the class check refuses classes however they are written, and nothing else', () => {
  class Base {}
  const refused = [
    Base,
    class extends Base {},
    // comments and spaces before the keyword are not part of a class's source text
    /* a comment */ class Commented {},
    class/* inside */Tight {},
    class {
      static x = 1;
    },
  ];
  for (const value of refused) assert.throws(() => atexit.register(value), TypeError, String(value));
  const classic = (classicArg) => classicArg; // an arrow given a prototype by hand: not a class
  classic.prototype = {};
  const accepted = [function classify() {}, function* classes() {}, async function klass() {}, classic, { class() {} }.class, { *class() {} }.class];
  for (const value of accepted) assert.equal(atexit.register(value), value, String(value));
  assert.equal(atexit.ncallbacks(), accepted.length);
});

test("the class check still refuses classes once something is registered (register()'s fast path)", () => {
  atexit.register(() => {}); // installs the listeners: the fast path is open from here
  class Late {}
  assert.throws(() => atexit.register(Late), TypeError);
  assert.throws(() => atexit.register(class {}), TypeError);
  assert.equal(atexit.ncallbacks(), 1);
});

test('registrations with and without arguments side by side keep their own arguments', async () => {
  const calls = [];
  const f = (...args) => calls.push(args);
  const g = (...args) => calls.push(['g', ...args]);
  atexit.register(f, 'a');
  atexit.register(g);
  atexit.register(f);
  atexit.register(g, 'b');
  atexit.register(f, 'c', 'd');
  atexit.unregister(g); // both of g's, the one with arguments and the one without
  atexit.register(g);
  await atexit.runExitFuncs();
  assert.deepEqual(calls, [['g'], ['c', 'd'], [], ['a']]);
});

test('a revoked callable Proxy registered without arguments is reported at exit; the rest run', async () => {
  const ran = [];
  const failures = [];
  atexit.configure({ reporter: ({ error }) => failures.push(error) });
  const { proxy, revoke } = Proxy.revocable(() => ran.push('proxy'), {});
  const gone = () => ran.push('gone');
  // The registry looks at the slot before a function to find its arguments: here, twice, a
  // revoked Proxy, which must not be looked into (Array.isArray would throw).
  atexit.register(() => ran.push('first'));
  atexit.register(proxy);
  atexit.register(gone);
  atexit.register(proxy);
  atexit.register(() => ran.push('next'));
  atexit.register((tag) => ran.push(tag), 'newest');
  revoke();
  atexit.unregister(gone);
  await atexit.runExitFuncs();
  assert.deepEqual(ran, ['newest', 'next', 'first']);
  assert.equal(failures.length, 2);
  assert.ok(failures.every((error) => error instanceof TypeError));
});

test('unregister after the registry emptied and filled again finds the new registrations', async () => {
  const ran = [];
  const f = () => ran.push('f');
  const g = () => ran.push('g');
  atexit.register(f);
  atexit.register(g);
  atexit.unregister(g); // the first removal: the registry indexes f and g
  atexit.unregister(f); // now empty
  atexit.register(g);
  atexit.register(f, 1);
  atexit.register(g);
  atexit.unregister(g);
  assert.equal(atexit.ncallbacks(), 1);
  await atexit.runExitFuncs();
  assert.deepEqual(ran, ['f']);
});

test('many removals squeeze the registry; order, arguments and later removals stay right', async () => {
  const ran = [];
  const keep = Array.from({ length: 50 }, (_, i) => (tag) => ran.push(`${i}${tag}`));
  const drop = () => ran.push('dropped');
  keep.forEach((k, i) => {
    for (let j = 0; j < 5; j++) atexit.register(drop);
    atexit.register(k, i % 2 ? '' : '!');
  });
  atexit.unregister(drop); // 250 removed against 50 live: squeezed out
  atexit.unregister(keep[49]);
  atexit.unregister(keep[0]);
  assert.equal(atexit.ncallbacks(), 48);
  await atexit.runExitFuncs();
  assert.deepEqual(ran, keep.slice(1, 49).map((_, j) => `${j + 1}${(j + 1) % 2 ? '' : '!'}`).reverse());
});

test('a class behind bind() or a Proxy is accepted, and its failure is reported at exit', async () => {
  class Hidden {}
  const failures = [];
  atexit.configure({ reporter: ({ error }) => failures.push(error) });
  const bound = Hidden.bind(null);
  const proxied = new Proxy(Hidden, {});
  assert.equal(atexit.register(bound), bound);
  assert.equal(atexit.register(proxied), proxied);
  await atexit.runExitFuncs();
  assert.equal(failures.length, 2);
  assert.ok(failures.every((error) => error instanceof TypeError && /Class constructor/.test(error.message)));
});

test('during a run, unregistering a handler that already ran changes nothing: ncallbacks() counts those left', async () => {
  const seen = [];
  const a = () => seen.push('a');
  const c = () => seen.push('c');
  atexit.register(a);
  atexit.register(() => {
    atexit.unregister(c); // ran already
    seen.push(`left ${atexit.ncallbacks()}`);
  });
  atexit.register(c);
  atexit.unregister(() => {}); // builds the index before the run
  await atexit.runExitFuncs();
  assert.deepEqual(seen, ['c', 'left 1', 'a']);
});

// configure({ signals }) (issue 14): the list in force, checked before anything changes.
test('configure() returns the signals in force, a fresh array: SIGUSR2 among the defaults on POSIX', { skip: process.platform === 'win32' && 'POSIX defaults' }, () => {
  assert.deepEqual(defaults.signals, ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGUSR2']);
  const copy = atexit.configure().signals;
  copy.push('SIGQUIT');
  assert.deepEqual(atexit.configure().signals, defaults.signals);
  assert.deepEqual(atexit.configure({ signals: ['SIGINT', 'SIGQUIT', 'SIGINT'] }).signals, ['SIGINT', 'SIGQUIT']);
  assert.deepEqual(atexit.configure({ deadline: 5 }).signals, ['SIGINT', 'SIGQUIT'], 'kept until changed');
});

test('configure({ signals }) while listening: the listeners follow the list', () => {
  atexit.register(() => {});
  atexit.configure({ signals: ['SIGINT', 'SIGQUIT'] });
  const ours = (signal) => process.listeners(signal).filter((listener) => listener[Symbol.for('atexit.listener')] === true).length;
  assert.deepEqual(['SIGINT', 'SIGQUIT', 'SIGTERM'].map(ours), [1, 1, 0]);
  atexit.configure({ signals: defaults.signals });
  assert.deepEqual(['SIGINT', 'SIGQUIT', 'SIGTERM'].map(ours), [1, 0, 1]);
});

for (const [what, signals, message] of [
  ['a string', 'SIGINT', 'atexit.configure: signals must be an array of signal names, such as ["SIGINT", "SIGTERM", "SIGQUIT"]'],
  ['a number in the list', ['SIGINT', 15], 'atexit.configure: signals must be an array of signal names, such as ["SIGINT", "SIGTERM", "SIGQUIT"]'],
  ['an unknown name', ['SIGINT', 'SIGTREM'], 'atexit.configure: unknown signal "SIGTREM" (not a signal this runtime knows)'],
  ['a name in small letters', ['sigterm'], 'atexit.configure: unknown signal "sigterm" (not a signal this runtime knows; did you mean "SIGTERM"?)'],
  ['a name without SIG', ['HUP'], 'atexit.configure: unknown signal "HUP" (not a signal this runtime knows; did you mean "SIGHUP"?)'],
  ['SIGKILL', ['SIGKILL'], 'atexit.configure: signals cannot include SIGKILL: it cannot be caught'],
  ['SIGSEGV', ['SIGSEGV'], 'atexit.configure: signals cannot include SIGSEGV: a fault: a listener would return to the faulting code and loop forever'],
  ['SIGUSR1', ['SIGUSR1'], 'atexit.configure: signals cannot include SIGUSR1: it starts the inspector (the debugger)'],
  ['SIGPIPE', ['SIGPIPE'], 'atexit.configure: signals cannot include SIGPIPE: a broken pipe is not an ending (the runtime ignores it)'],
]) {
  test(`configure({ signals }) with ${what}: a TypeError saying why; nothing changes`, () => {
    const before = atexit.configure();
    assert.throws(() => atexit.configure({ deadline: 7, signals }), (error) => error instanceof TypeError && error.message === message);
    assert.deepEqual(atexit.configure(), before);
  });
}
