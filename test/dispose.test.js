// Issue 16: use(resource) and defer(func), the registrations of explicit resource management.
// In-process where a scope ends or runExitFuncs() runs them; child processes
// (test/fixtures/dispose.mjs) where the program ends.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { afterEach, describe, test } from 'node:test';
import atexit, * as named from 'atexit';
import { run, runtime } from './harness.js';

const defaults = atexit.configure();
afterEach(() => {
  atexit.clear();
  atexit.configure(defaults);
});

/** Reports handed to a recording reporter, as [handler name, error message]. */
function recording() {
  const reports = [];
  atexit.configure({ reporter: ({ handler, error }) => reports.push([handler.name, error?.message]) });
  return reports;
}

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

class AsyncResource {
  constructor(name, log) {
    Object.assign(this, { name, log });
  }
  async [Symbol.asyncDispose]() {
    this.log.push(`${this.name}: start`);
    await tick();
    this.log.push(`${this.name}: end`);
  }
}

class SyncResource {
  constructor(name, log) {
    Object.assign(this, { name, log });
  }
  [Symbol.dispose]() {
    this.log.push(`${this.name} (sync)`);
  }
}

describe('use(resource)', () => {
  test('returns the resource; disposes it at exit in LIFO order with register(), each awaited, this = the resource', async () => {
    const log = [];
    const thisValues = [];
    atexit.register(() => log.push('first registered'));
    const a = new AsyncResource('async', log);
    assert.equal(atexit.use(a), a);
    atexit.use(new SyncResource('sync', log));
    atexit.use({
      [Symbol.asyncDispose]() {
        thisValues.push(this);
        log.push('plain object');
      },
    });
    atexit.register(() => log.push('last registered'));
    assert.equal(atexit.ncallbacks(), 5);
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['last registered', 'plain object', 'sync (sync)', 'async: start', 'async: end', 'first registered']);
    assert.equal(thisValues.length, 1);
    assert.equal(Object.getPrototypeOf(thisValues[0]), Object.prototype);
    assert.equal(atexit.ncallbacks(), 0);
  });

  test('[Symbol.asyncDispose] is preferred over [Symbol.dispose]; a sync disposer\'s promise is not awaited', async () => {
    const log = [];
    atexit.use({
      [Symbol.asyncDispose]: () => log.push('async'),
      [Symbol.dispose]: () => log.push('sync'),
    });
    let settled = false;
    atexit.use({
      [Symbol.dispose]: () => tick(30).then(() => (settled = true)),
    });
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['async']);
    assert.equal(settled, false, 'as in the proposal, what a sync [Symbol.dispose] returns is not awaited');
  });

  for (const empty of [null, undefined]) {
    test(`[Symbol.asyncDispose] set to ${empty}: falls back to [Symbol.dispose], as the proposal's GetDisposeMethod does; this = the resource, not awaited`, async () => {
      const log = [];
      let settled = false;
      const resource = {
        name: 'own',
        [Symbol.asyncDispose]: empty,
        [Symbol.dispose]() {
          log.push(`${this.name} (sync)`);
          return tick(30).then(() => (settled = true));
        },
      };
      assert.equal(atexit.use(resource), resource);
      atexit.register(() => log.push('older'));
      // Also when both come through the prototype (a subclass that sets the async one to null).
      const derived = Object.create(resource, { name: { value: 'derived' } });
      assert.equal(atexit.use(derived), derived);
      await atexit.runExitFuncs();
      assert.deepEqual(log, ['derived (sync)', 'older', 'own (sync)']);
      assert.equal(settled, false, 'a synchronous [Symbol.dispose] is not awaited');
    });
  }

  test('the method is looked up at registration: a resource that loses it later still disposes', async () => {
    const log = [];
    const resource = new SyncResource('changed later', log);
    atexit.use(resource);
    resource[Symbol.dispose] = () => log.push('replaced');
    const own = { [Symbol.asyncDispose]: () => log.push('own method') };
    atexit.use(own);
    delete own[Symbol.asyncDispose];
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['own method', 'changed later (sync)']);
  });

  test('a throw or a rejection is reported (named after the method) and the rest go on', async () => {
    const reports = recording();
    const log = [];
    atexit.use(new SyncResource('survivor', log));
    atexit.use({
      async [Symbol.asyncDispose]() {
        await tick();
        throw new Error('rejected');
      },
    });
    atexit.use({
      [Symbol.dispose]() {
        throw new Error('thrown');
      },
    });
    await atexit.runExitFuncs();
    // The method's name: `[Symbol.dispose]` (`[nodejs.dispose]` on Node 20, whose symbols say so)
    const names = reports.map(([name, message]) => [name.replace(/^\[\w+\.(\w+)\]$/, '$1'), message]);
    assert.deepEqual(names, [['dispose', 'thrown'], ['asyncDispose', 'rejected']]);
    assert.deepEqual(log, ['survivor (sync)']);
  });

  test('once per registration; unregister(resource) removes every registration of it', async () => {
    const log = [];
    const twice = new SyncResource('twice', log);
    const gone = new SyncResource('gone', log);
    atexit.use(twice);
    atexit.use(gone);
    atexit.use(twice);
    atexit.use(gone);
    assert.equal(atexit.ncallbacks(), 4);
    atexit.unregister(gone);
    assert.equal(atexit.ncallbacks(), 2);
    atexit.unregister(gone); // nothing left of it: nothing happens
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['twice (sync)', 'twice (sync)']);
  });

  test('null and undefined are accepted and ignored', () => {
    assert.equal(atexit.use(null), null);
    assert.equal(atexit.use(undefined), undefined);
    assert.equal(atexit.ncallbacks(), 0);
  });

  for (const [what, value, message] of [
    ['a number', 42, 'the number 42'],
    ['a string', 'file.txt', 'the string "file.txt"'],
    ['a plain object', {}, 'an object'],
    ['an array', [], 'an array'],
    ['a function', () => {}, 'a function without them'],
    ['an object whose methods are not functions', { [Symbol.asyncDispose]: 1, [Symbol.dispose]: 'no' }, 'an object'],
    ['an object with close() (issue 28: the hint)', { close() {} }, 'an object with close(): register that call instead, atexit.register(() => x.close())'],
    ['a stream-like object with end() and destroy()', { end() {}, destroy() {} }, 'an object with end(): register that call instead, atexit.register(() => x.end())'],
  ]) {
    test(`${what}: a TypeError naming it; nothing registered`, () => {
      assert.throws(() => atexit.use(value), {
        name: 'TypeError',
        message: `atexit.use: expected a resource with [Symbol.asyncDispose] or [Symbol.dispose], got ${message}`,
      });
      assert.equal(atexit.ncallbacks(), 0);
    });
  }

  test('a real http.Server: use(server) closes it at exit', async () => {
    const server = atexit.use(createServer((_, res) => res.end('ok')));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    assert.equal(server.listening, true);
    await atexit.runExitFuncs();
    assert.equal(server.listening, false);
  });
});

describe('defer(func, ...args)', () => {
  test('register() still returns func; defer() returns a registration with both dispose methods', () => {
    const func = () => {};
    assert.equal(atexit.register(func), func);
    const registration = atexit.defer(func);
    assert.equal(typeof registration[Symbol.dispose], 'function');
    assert.equal(typeof registration[Symbol.asyncDispose], 'function');
  });

  test('the scope ends first: func runs then (awaited), is unregistered, and never again', async () => {
    const log = [];
    atexit.register(() => log.push('handler'));
    const registration = atexit.defer(async (dir) => {
      await tick();
      log.push(`removed ${dir}`);
    }, 'tmp-1');
    assert.equal(atexit.ncallbacks(), 2);
    await registration[Symbol.asyncDispose]();
    assert.deepEqual(log, ['removed tmp-1']);
    assert.equal(atexit.ncallbacks(), 1);
    await registration[Symbol.asyncDispose]();
    registration[Symbol.dispose]();
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['removed tmp-1', 'handler']);
  });

  test('the program ends first: func runs at exit, in LIFO order; the scope\'s end then does nothing', async () => {
    const log = [];
    atexit.register(() => log.push('first'));
    const registration = atexit.defer((what) => log.push(what), 'deferred');
    atexit.register(() => log.push('last'));
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['last', 'deferred', 'first']);
    registration[Symbol.dispose]();
    await registration[Symbol.asyncDispose]();
    assert.deepEqual(log, ['last', 'deferred', 'first']);
  });

  test('the sync form ([Symbol.dispose], for `using`) runs func at once', () => {
    const log = [];
    const registration = atexit.defer(() => log.push('ran'));
    registration[Symbol.dispose]();
    assert.deepEqual(log, ['ran']);
    assert.equal(atexit.ncallbacks(), 0);
  });

  test('at the scope\'s end a failure is the scope\'s: it rejects (not reported)', async () => {
    const reports = recording();
    const registration = atexit.defer(() => {
      throw new Error('cleanup failed');
    });
    await assert.rejects(registration[Symbol.asyncDispose](), /cleanup failed/);
    assert.deepEqual(reports, []);
  });

  test('at exit a failure is reported, named after func', async () => {
    const reports = recording();
    atexit.defer(function cleanup() {
      throw new Error('at exit');
    });
    await atexit.runExitFuncs();
    assert.deepEqual(reports, [['cleanup', 'at exit']]);
  });

  test('unregister(func) removes its deferred registrations too; each scope still ends its own', async () => {
    const log = [];
    const cleanup = (n) => log.push(`cleanup ${n}`);
    const one = atexit.defer(cleanup, 1);
    atexit.defer(cleanup, 2);
    atexit.register(cleanup, 3);
    atexit.unregister(cleanup);
    assert.equal(atexit.ncallbacks(), 0);
    await atexit.runExitFuncs();
    assert.deepEqual(log, []);
    one[Symbol.dispose]();
    assert.deepEqual(log, ['cleanup 1']);
  });

  test('a scope that ended keeps nothing: a server deferring one function per request does not grow', () => {
    const cleanup = () => {};
    for (let i = 0; i < 1_000; i++) atexit.defer(cleanup)[Symbol.dispose]();
    const { uses } = globalThis[Symbol.for('atexit/2')];
    assert.equal(uses.get(cleanup)?.length ?? 0, 0, 'what unregister(cleanup) would still walk');
    assert.equal(atexit.ncallbacks(), 0);
  });

  test('a class or a non-function is refused with a TypeError', () => {
    assert.throws(() => atexit.defer(class Temp {}), { name: 'TypeError', message: 'atexit.defer: expected a function, got class Temp' });
    assert.throws(() => atexit.defer('rm'), { name: 'TypeError', message: 'atexit.defer: expected a function, got the string "rm"' });
    assert.equal(atexit.ncallbacks(), 0);
  });
});

test('the default export has use and defer', () => {
  assert.equal(atexit.use, named.use);
  assert.equal(atexit.defer, named.defer);
});

// How the program ends, as child processes: an async disposal awaited at a signal, a
// `process.exit(n)` in a disposer, and `await using` where the runtime has the syntax.
describe('endings', () => {
  const cases = [
    ['signal', ['SIGTERM'], 'READY\nlast registered\nasync: start\nasync: end\nsync (sync)\nfirst registered\n', null, 'SIGTERM'],
    ['exit', [], 'last registered\nasync: start\nasync: end\nsync (sync)\nfirst registered\n', 3, null],
    ['natural', [], 'last registered\nasync: start\nasync: end\nsync (sync)\nfirst registered\n', 0, null],
    ['exit-inside', [], 'last registered\nexiting\nasync: start\nasync: end\nsync (sync)\nfirst registered\n', 4, null],
    ['unregistered', [], 'last registered\nfirst registered\n', 0, null],
  ];
  for (const [mode, signals, stdout, status, signal] of cases) {
    test(`use(): ${mode}`, async () => {
      const r = await run('dispose.mjs', { args: [mode], signals });
      assert.equal(r.stdout, stdout, r.stderr);
      assert.deepEqual([r.status, r.signal], [status, signal]);
    });
  }

  test('an http.Server used, SIGTERM with a request in flight: answered, then closed', async () => {
    const r = await run('dispose.mjs', { args: ['http'], signals: ['SIGTERM'] });
    const [first, second, ...rest] = r.stdout.split('\n');
    // The client's end and the server's close come in the same turn, in either order.
    assert.deepEqual([first, second, rest.sort()], ['request started', 'READY', ['', 'client got: slow answer', 'server closed']], r.stderr);
    assert.deepEqual([r.status, r.signal], [null, 'SIGTERM']);
  });

  // `await using` is syntax: Node 24, Deno and Bun have it; Node 20 and 22 do not.
  const syntax = !['node', 'node22'].includes(runtime);
  for (const [mode, signals, stdout, status, signal] of [
    ['scope-first', [], 'in scope\ncleanup tmp\nafter scope 1\nhandler\n', 0, null],
    ['program-first', ['SIGTERM'], 'in scope\nREADY\ncleanup tmp\nhandler\n', null, 'SIGTERM'],
    // use() agrees with the runtime's own `await using` on a null [Symbol.asyncDispose].
    ['null-async', [], 'in scope\nscope: dispose\nat exit: dispose\n', 0, null],
  ]) {
    test(`${mode === 'null-async' ? 'use() and' : 'defer() with'} await using: ${mode}`, { skip: !syntax && 'no `using` syntax on this runtime' }, async () => {
      const r = await run('dispose-using.mjs', { args: [mode], signals });
      assert.equal(r.stdout, stdout, r.stderr);
      assert.deepEqual([r.status, r.signal], [status, signal]);
    });
  }
});

