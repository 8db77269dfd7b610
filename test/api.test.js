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
