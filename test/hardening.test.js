// Issue 6: hostile handlers, exit and signal storms, closed output, a damaged environment,
// re-entrancy. In-process where the question is what a run does (runExitFuncs() with a
// recording reporter); child processes (test/fixtures/hard-*.mjs) where it is how the
// process ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as atexit from 'atexit';
import { command, run } from './harness.js';

const defaults = atexit.configure();
beforeEach(() => atexit.clear());
afterEach(() => {
  atexit.clear();
  atexit.configure(defaults);
});

/** Collects what the default reporter prints (it writes through console.error). */
function printed(body) {
  const real = console.error;
  const lines = [];
  console.error = (...parts) => lines.push(parts.join(' '));
  try {
    return { value: body(), lines };
  } finally {
    console.error = real;
  }
}

/** Reports handed to a recording reporter, as [handler name, error]. */
function recording() {
  const reports = [];
  atexit.configure({ reporter: ({ handler, error }) => reports.push([handler.name, error]) });
  return reports;
}

const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const trapAll = () => {
  const no = () => {
    throw new Error('trap');
  };
  return new Proxy({}, { get: no, has: no, ownKeys: no, getOwnPropertyDescriptor: no, getPrototypeOf: no, defineProperty: no });
};
const overflow = () => {
  const deeper = (n) => deeper(n + 1) + 1;
  return deeper(0);
};

// [label, () => the thrown value, what the default reporter must print as the body]
const hostile = [
  ['null', () => null, /^null$/],
  ['undefined', () => undefined, /^undefined$/],
  ['a number', () => 42, /^42$/],
  ['NaN', () => NaN, /^NaN$/],
  ['a string', () => 'plain words', /^plain words$/],
  ['a bigint', () => 10n, /^10$/],
  ['a symbol', () => Symbol('sym'), /^Symbol\(sym\)$/],
  ['a function', () => function thrownFn() {}, /thrownFn/],
  ['a plain object (as JSON)', () => ({ code: 'E_HOSTILE', n: 1 }), /^\{"code":"E_HOSTILE","n":1\}$/],
  ['an object whose toString throws', () => ({ id: 7, toString() { throw new Error('no'); } }), /"id":7/],
  [
    'an object whose toString, stack and message getters throw',
    () => ({
      get stack() { throw new Error('no stack'); },
      get message() { throw new Error('no message'); },
      toString() { throw new Error('no string'); },
    }),
    /\S/,
  ],
  [
    'an Error whose stack getter throws (its name and message still print)',
    () => Object.defineProperty(new TypeError('still here'), 'stack', { get() { throw new Error('no stack'); } }),
    /TypeError: still here/,
  ],
  [
    'an Error whose message getter throws',
    () => Object.defineProperty(new Error('before'), 'message', { get() { throw new Error('no message'); } }),
    /Error/,
  ],
  ['a revoked Proxy', revoked, /\S/],
  ['a Proxy whose every trap throws', trapAll, /\S/],
  ['a null-prototype object (as JSON)', () => Object.assign(Object.create(null), { a: 1 }), /^\{"a":1\}$/],
  ['an empty null-prototype object', () => Object.create(null), /\S/],
  [
    'errors whose cause chain loops',
    () => {
      const first = new Error('first');
      const second = new Error('second', { cause: first });
      first.cause = second;
      return first;
    },
    /^Error: first\n/,
  ],
  [
    'an error that is its own cause',
    () => {
      const self = new Error('self');
      self.cause = self;
      return self;
    },
    /^Error: self\n/,
  ],
  [
    'an object with a cyclic reference',
    () => {
      const o = { name: 'cyc' };
      o.o = o;
      return o;
    },
    /\S/,
  ],
  ['a stack overflow inside the handler', () => {
    try {
      overflow();
    } catch (error) {
      return error;
    }
  }, /^RangeError: Maximum call stack size exceeded/],
];

describe('hostile throws', () => {
  for (const [label, make, body] of hostile) {
    for (const how of ['sync', 'async', 'rejected promise']) {
      test(`${how} ${label}: reported by the default reporter, the others still run`, async () => {
        const log = [];
        atexit.register(() => log.push('first registered'));
        const value = make();
        const thrower = {
          sync: function hostileHandler() {
            throw value;
          },
          async: async function hostileHandler() {
            await null;
            throw value;
          },
          'rejected promise': function hostileHandler() {
            return Promise.reject(value);
          },
        }[how];
        atexit.register(thrower);
        atexit.register(() => log.push('last registered'));
        let done;
        const { lines } = printed(() => (done = atexit.runExitFuncs()));
        // async failures are reported after the run settles: capture again around the await
        const late = [];
        const real = console.error;
        console.error = (...parts) => late.push(parts.join(' '));
        try {
          await done;
        } finally {
          console.error = real;
        }
        const all = [...lines, ...late];
        assert.deepEqual(log, ['last registered', 'first registered']);
        assert.equal(all.length, 1, all.join('\n---\n'));
        const [header, ...rest] = all[0].split('\n');
        assert.equal(header, 'Exception ignored in atexit callback hostileHandler:');
        const text = rest.join('\n');
        assert.match(text, body);
        assert.ok(!text.includes('[object Object]') || label.includes('cyclic'), text);
        assert.equal(atexit.ncallbacks(), 0);
      });
    }
  }

  test('a stack overflow thrown straight out of a handler is reported; the rest run', async () => {
    const log = [];
    atexit.register(() => log.push('a'));
    atexit.register(function deep() {
      overflow();
    });
    atexit.register(() => log.push('b'));
    const reports = recording();
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['b', 'a']);
    assert.equal(reports.length, 1);
    assert.equal(reports[0][0], 'deep');
    assert.ok(reports[0][1] instanceof RangeError);
  });

  test('the recording reporter receives each hostile value untouched', async () => {
    const values = hostile.map(([, make]) => make());
    values.forEach((value, i) => {
      const fn = { [`h${i}`]: () => { throw value; } }[`h${i}`];
      atexit.register(fn);
    });
    const reports = recording();
    await atexit.runExitFuncs();
    assert.equal(reports.length, values.length);
    reports.reverse().forEach(([name, error], i) => {
      assert.equal(name, `h${i}`);
      assert.ok(Object.is(error, values[i]), `report ${i}`);
    });
  });

  test('hostile thenables: a throwing then getter, a then that throws, one that settles twice', async () => {
    const log = [];
    const reports = recording();
    atexit.register(() => log.push('end'));
    atexit.register(function twice() {
      log.push('twice');
      return { then(ok, fail) { ok(); ok(); fail(new Error('late')); throw new Error('later'); } };
    });
    atexit.register(function thenThrows() {
      log.push('thenThrows');
      return { then() { throw new Error('then threw'); } };
    });
    atexit.register(function getterThrows() {
      log.push('getterThrows');
      return { get then() { throw new Error('getter threw'); } };
    });
    atexit.register(function revokedResult() {
      log.push('revokedResult');
      return revoked();
    });
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['revokedResult', 'getterThrows', 'thenThrows', 'twice', 'end']);
    assert.deepEqual(reports.map(([name, error]) => `${name}: ${error.message}`), ['thenThrows: then threw']);
  });

  test('a handler with a hostile name getter is reported as <anonymous>', async () => {
    const fn = () => {
      throw new Error('x');
    };
    Object.defineProperty(fn, 'name', { get() { throw new Error('no name'); } });
    atexit.register(fn);
    const { lines } = printed(() => atexit.runExitFuncs());
    assert.match(lines.join('\n'), /^Exception ignored in atexit callback <anonymous>:\nError: x\n/);
  });

  test('a callable Proxy whose get trap throws can be registered and runs', async () => {
    const log = [];
    const handler = new Proxy(() => log.push('proxied'), {
      get() {
        throw new Error('trap');
      },
    });
    atexit.register(handler);
    atexit.register(() => log.push('plain'));
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['plain', 'proxied']);
  });
});

describe('a reporter that throws', () => {
  for (const [label, make] of [
    ['an Error', () => new Error('reporter broke')],
    ['a revoked Proxy', revoked],
    ['null', () => null],
    ['a stack overflow', () => {
      try {
        overflow();
      } catch (error) {
        return error;
      }
    }],
  ]) {
    test(`reporter throws ${label}: the failure still prints, every handler runs`, async () => {
      const log = [];
      let calls = 0;
      atexit.configure({
        reporter: () => {
          calls++;
          throw make();
        },
      });
      atexit.register(() => log.push('a'));
      atexit.register(function one() {
        throw new Error('first failure');
      });
      atexit.register(function two() {
        return Promise.reject(new Error('second failure'));
      });
      atexit.register(() => log.push('b'));
      const late = [];
      const real = console.error;
      console.error = (...parts) => late.push(parts.join(' '));
      try {
        await atexit.runExitFuncs();
      } finally {
        console.error = real;
      }
      assert.deepEqual(log, ['b', 'a']);
      assert.equal(calls, 2);
      const text = late.join('\n');
      assert.match(text, /Exception ignored in atexit callback two:\nError: second failure/);
      assert.match(text, /Exception ignored in atexit callback one:\nError: first failure/);
    });
  }

  test('console.error that throws, or no console at all: reports are dropped, handlers run', async () => {
    const log = [];
    const real = globalThis.console;
    atexit.register(() => log.push('a'));
    atexit.register(() => {
      throw new Error('unprintable');
    });
    atexit.register(() => log.push('b'));
    atexit.register(() => {
      globalThis.console = undefined;
    });
    atexit.register(() => {
      throw new Error('unprintable too');
    });
    atexit.register(() => {
      globalThis.console = { error() { throw new Error('closed'); } };
    });
    try {
      await atexit.runExitFuncs();
    } finally {
      globalThis.console = real;
    }
    assert.deepEqual(log, ['b', 'a']);
  });
});

describe('re-entrancy', () => {
  test('CPython test_atexit_with_unregistered_function: a handler unregisters itself, then throws', async () => {
    const reports = recording();
    function func() {
      atexit.unregister(func);
      throw new RangeError('1/0');
    }
    atexit.register(func);
    await atexit.runExitFuncs();
    assert.equal(reports.length, 1);
    assert.equal(reports[0][0], 'func');
    assert.ok(reports[0][1] instanceof RangeError);
    assert.equal(atexit.ncallbacks(), 0);
  });

  // CPython test_eq_unregister (gh-142881), adapted: functions match by identity here, so the
  // nested call cannot come from __eq__. It comes from every other place where the package hands
  // control to user code in the middle of its own bookkeeping: the handler itself, the `then`
  // getter of what it returns, the reporter, and the handler's `name` getter (read to report).
  // f2 is removed and, at that point, `what` too; nothing else may be removed or skipped.
  const hooks = {
    'the handler': (f2Body) => f2Body,
    'a then getter': (f2Body) => () => ({ get then() { f2Body(); return undefined; } }),
    'the reporter': (f2Body) => {
      atexit.configure({ reporter: () => f2Body() });
      return () => {
        throw new Error('to report');
      };
    },
    'a name getter': (f2Body) => {
      atexit.configure({ reporter: ({ handler }) => void handler.name });
      const fn = () => {
        throw new Error('to report');
      };
      Object.defineProperty(fn, 'name', { get() { f2Body(); return 'hooked'; } });
      return fn;
    },
  };
  for (const [where, hook] of Object.entries(hooks)) {
    // run order: f4 (top), the hook, f4 (its first registration), f3, f2, f1
    for (const [what, expected] of [['f1', [4, 4, 3]], ['f2', [4, 4, 3, 1]], ['f3', [4, 4, 1]], ['f4', [4, 3, 1]]]) {
      test(`test_eq_unregister adapted: ${where} (run first) unregisters f2 and ${what}`, async () => {
        const log = [];
        const f = { f1: () => log.push(1), f2: () => log.push(2), f3: () => log.push(3), f4: () => log.push(4) };
        atexit.register(f.f1);
        atexit.register(f.f2);
        atexit.register(f.f3);
        atexit.register(f.f4);
        const hooked = hook(() => {
          atexit.unregister(f.f2);
          atexit.unregister(f[what]);
        });
        atexit.register(hooked);
        atexit.register(f.f4); // f4 twice: once above the hook, once below
        await atexit.runExitFuncs();
        assert.deepEqual(log, expected);
        assert.equal(atexit.ncallbacks(), 0);
      });
    }
    // CPython test_eq_unregister_clear, adapted: the nested call clears, or registers.
    test(`test_eq_unregister_clear adapted: ${where} clears; the rest are skipped, nothing stays`, async () => {
      const log = [];
      atexit.register(() => log.push('skipped'));
      atexit.register(hook(() => {
        atexit.clear();
        atexit.register(() => log.push('registered after clear'));
      }));
      atexit.register(() => log.push('ran'));
      await atexit.runExitFuncs();
      assert.deepEqual(log, ['ran']);
      assert.equal(atexit.ncallbacks(), 0, 'a run leaves the registry empty');
      await atexit.runExitFuncs();
      assert.deepEqual(log, ['ran']);
    });
  }

  test('a handler registers others during the run: not run now, registry empty after', async () => {
    const log = [];
    const late = () => log.push('late');
    atexit.register(() => log.push('a'));
    atexit.register(() => {
      atexit.register(late);
      atexit.register(late, 'again');
      log.push('b');
    });
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['b', 'a']);
    assert.equal(atexit.ncallbacks(), 0);
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['b', 'a']);
  });

  test('unregister during a run: later ones skipped, earlier ones unaffected, duplicates all gone', async () => {
    const log = [];
    const dup = (tag) => log.push(`dup ${tag}`);
    const later = () => log.push('later');
    const earlier = () => log.push('earlier');
    atexit.register(dup, 'bottom');
    atexit.register(later);
    atexit.register(dup, 'middle');
    atexit.register(() => {
      atexit.unregister(later);
      atexit.unregister(earlier);
      atexit.unregister(dup);
      atexit.register(dup, 'new'); // registered during the run: not run
      log.push('remover');
    });
    atexit.register(dup, 'top');
    atexit.register(earlier);
    await atexit.runExitFuncs();
    assert.deepEqual(log, ['earlier', 'dup top', 'remover']);
    assert.equal(atexit.ncallbacks(), 0);
  });

  test('unregister of a function registered before and during the run, then clear, in one handler', async () => {
    const log = [];
    const counts = []; // recorded inside the handler, checked after the run (an assert there would be reported, not fail)
    const f = (tag) => log.push(tag);
    atexit.register(f, 'old');
    atexit.register(() => {
      atexit.register(f, 'new');
      counts.push(atexit.ncallbacks());
      atexit.unregister(f);
      counts.push(atexit.ncallbacks());
      atexit.register(f, 'newer');
      atexit.clear();
      counts.push(atexit.ncallbacks());
      atexit.register(f, 'newest');
      counts.push(atexit.ncallbacks());
    });
    await atexit.runExitFuncs();
    assert.deepEqual(counts, [2, 0, 0, 1]);
    assert.deepEqual(log, []);
    assert.equal(atexit.ncallbacks(), 0);
  });

  test('runExitFuncs() inside a handler runs the rest once each, LIFO; nested three deep', async () => {
    const log = [];
    atexit.register(() => log.push(1));
    atexit.register(() => {
      log.push('nest 2');
      atexit.runExitFuncs();
    });
    atexit.register(() => log.push(3));
    atexit.register(() => {
      log.push('nest 1');
      atexit.register(() => log.push('added by nest 1')); // a new run sees it
      atexit.runExitFuncs();
      log.push('nest 1 back');
    });
    atexit.register(() => log.push(5));
    await atexit.runExitFuncs();
    assert.deepEqual(log, [5, 'nest 1', 'added by nest 1', 3, 'nest 2', 1, 'nest 1 back']);
    assert.equal(atexit.ncallbacks(), 0);
    assert.equal(atexit.ending(), undefined);
  });

  test('an awaited nested run with async handlers keeps LIFO order, each once', async () => {
    const log = [];
    const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
    atexit.register(async () => {
      await tick();
      log.push(1);
    });
    atexit.register(async () => {
      await tick();
      log.push(2);
    });
    atexit.register(() => {
      log.push('nest');
      return atexit.runExitFuncs();
    });
    atexit.register(async () => {
      await tick();
      log.push(4);
    });
    await atexit.runExitFuncs();
    assert.deepEqual(log, [4, 'nest', 2, 1]);
    assert.equal(atexit.ending(), undefined);
  });

  test('a nested run left running (not awaited): each handler once, and no run is left behind', async () => {
    const log = [];
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    atexit.register(() => log.push(1));
    atexit.register(async () => {
      log.push('start 2');
      await tick();
      log.push(2);
    });
    let nested;
    atexit.register(() => {
      nested = atexit.runExitFuncs();
      log.push('outer goes on');
    });
    await atexit.runExitFuncs();
    await nested;
    // LIFO: the nested run starts 2 and waits; the outer run goes on with 1 and ends, which
    // ends the nested drain too; 2 finishes last
    assert.deepEqual(log, ['start 2', 'outer goes on', 1, 2]);
    assert.equal(atexit.ending(), undefined, 'ending() must be undefined once every run is over');
    // and the package is usable again: a new run starts and ends normally
    atexit.register(() => log.push('again'));
    assert.equal(atexit.ending(), undefined);
    await atexit.runExitFuncs();
    assert.equal(log.at(-1), 'again');
  });

  test('the reporter registers, unregisters, clears and runs during a run', async () => {
    const log = [];
    const keep = () => log.push('keep');
    atexit.configure({
      reporter: ({ handler }) => {
        log.push(`report ${handler.name}`);
        atexit.register(() => log.push('from reporter'));
        if (handler.name === 'second') atexit.runExitFuncs();
      },
    });
    atexit.register(keep);
    atexit.register(function second() {
      throw new Error('2');
    });
    atexit.register(function first() {
      throw new Error('1');
    });
    await atexit.runExitFuncs();
    // the nested run (from the reporter for `second`) runs what the reporter registered and keep
    assert.deepEqual(log, ['report first', 'report second', 'from reporter', 'from reporter', 'keep']);
    assert.equal(atexit.ncallbacks(), 0);
  });

  test('register/unregister/clear storm inside one handler leaves an exact count', async () => {
    const funcs = Array.from({ length: 10 }, (_, i) => () => i);
    const counts = []; // recorded inside the handler, checked after the run
    atexit.register(() => {
      for (let round = 0; round < 1000; round++) {
        for (const f of funcs) atexit.register(f, round);
        for (const f of funcs.slice(0, 5)) atexit.unregister(f);
        if (round % 100 === 99) atexit.clear();
        if (round === 98 || round === 149) counts.push(atexit.ncallbacks());
      }
      counts.push(atexit.ncallbacks());
      for (const f of funcs) atexit.register(f);
      atexit.unregister(funcs[0]);
      counts.push(atexit.ncallbacks());
    });
    await atexit.runExitFuncs();
    // 5 survivors a round: 99 rounds, then 50 rounds after the clear at round 99
    assert.deepEqual(counts, [495, 250, 0, 9]);
    assert.equal(atexit.ncallbacks(), 0);
  });
});

// ---- child processes ----

const fixture = (name) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'atexit-hard-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('exit storms', () => {
  const endings = ['natural', 'exit', 'atexit-exit', 'signal', 'throw'];
  const cases = {
    // h2 asks 100 times (swallowing each) then 7; h1 then asks 5: the last request wins
    many: { stdout: 'h2\nh1\nlast\n', status: 5 },
    // b: `await atexit.exit(6)` stops b; a: atexit.exit(4) records 4 and a goes on
    inside: { stdout: 'b\na continued\nlast\n', status: 4 },
    // h2: process.exit(9) with a finally; h1: atexit.exit(4) then a throw (reported)
    'throw-after': { stdout: 'finally ran\nlast\n', status: 4, stderr: /Exception ignored in atexit callback h1:\nError: after exit\n/ },
  };
  for (const [kind, want] of Object.entries(cases)) {
    for (const ending of endings) {
      test(`${kind}, ending by ${ending}: the last exit request wins, every handler runs once`, async () => {
        const r = await run('hard-exit-storm.mjs', { args: [kind, ending], signals: ending === 'signal' ? ['SIGTERM'] : [] });
        assert.equal(r.stdout, (ending === 'signal' ? 'READY\n' : '') + want.stdout);
        assert.deepEqual([r.status, r.signal], [want.status, null]);
        if (want.stderr) assert.match(r.stderr, want.stderr);
        assert.doesNotMatch(r.stderr, /unreachable/);
        // `await atexit.exit(6)` stops b at once: its promise rejects, nothing waits for the loop to drain
        assert.doesNotMatch(r.stderr, /can no longer settle/);
      });
    }
  }
  for (const how of ['fulfil', 'reject']) {
    for (const ending of ['natural', 'signal']) {
      test(`an exit request survives a last handler whose thenable settles synchronously (${how}, ${ending})`, async () => {
        const r = await run('hard-sync-thenable.mjs', { args: [how, ending], signals: ending === 'signal' ? ['SIGTERM'] : [], timeout: 10_000 });
        assert.equal(r.stdout, `${ending === 'signal' ? 'READY\n' : ''}exiter\nthenable\n`);
        assert.deepEqual([r.status, r.signal], [5, null]);
      });
    }
  }
  // Decision: a program's own 'exit' listener that calls process.exit(7) has the last word on
  // the status, but must not cost the handlers their run, whichever listener came first.
  for (const kind of ['listener-before', 'listener-after']) {
    for (const ending of endings) {
      test(`a user 'exit' listener calling process.exit(7) (${kind.slice(9)} the first register), ending by ${ending}`, async () => {
        const r = await run('hard-exit-storm.mjs', { args: [kind, ending], signals: ending === 'signal' ? ['SIGTERM'] : [] });
        if (ending === 'signal') {
          // a signal death emits no 'exit': the user listener never runs, our handlers do
          assert.equal(r.stdout, 'READY\nhandler\nlast\n');
          assert.deepEqual([r.status, r.signal], [null, 'SIGTERM']);
          return;
        }
        const code = { natural: 0, exit: 3, 'atexit-exit': 3, throw: 1 }[ending];
        const out = r.stdout.split('\n').filter(Boolean);
        assert.deepEqual(out.filter((l) => l === 'handler' || l === 'last'), ['handler', 'last'], r.stdout);
        assert.deepEqual(out.filter((l) => l.startsWith('user')), [`user exit listener ${code}`]);
        assert.deepEqual([r.status, r.signal], [7, null]);
      });
    }
  }
});

describe('signal storms', () => {
  const once = (stdout, names) => {
    const out = stdout.split('\n').filter((l) => l && l !== 'READY');
    assert.equal(new Set(out).size, out.length, `a handler ran twice:\n${stdout}`);
    for (const line of out) assert.ok(names.includes(line), line);
  };
  const names = ['first registered', 'slow', 'middle', 'stormer', 'last registered'];

  test('ten mixed SIGINT/SIGTERM from the parent while handlers run: once each, death by signal', async () => {
    const signals = Array.from({ length: 10 }, (_, i) => (i % 2 ? 'SIGTERM' : 'SIGINT'));
    const r = await run('hard-signal-storm.mjs', { args: ['parent'], signals, timeout: 15_000 });
    assert.equal(r.stdout.split('\n').filter((l) => l === 'READY').length, 10);
    once(r.stdout, names);
    // the first signal starts the run: the synchronous handlers, then slow waits; the next
    // genuine signal (another kind) stops the waiting: the rest run without it, then death by it.
    // The ten arrive as one burst, and how the runtime hands the burst over decides whether that
    // second kind is heard before slow settles (measured: most runs) or after it.
    assert.ok(['last registered\nmiddle\nfirst registered\n', 'last registered\nmiddle\nslow\nfirst registered\n'].includes(r.stdout.replaceAll('READY\n', '')), r.stdout);
    assert.equal(r.status, null);
    assert.ok(['SIGINT', 'SIGTERM'].includes(r.signal), String(r.signal));
  });

  test('ten signals sent to itself by a handler during an awaited run: once each, death by signal', async () => {
    const r = await run('hard-signal-storm.mjs', { args: ['self-async'], timeout: 15_000 });
    once(r.stdout, names);
    // the handlers before the storm ran; slow is not awaited (a genuine second signal). No signal
    // interrupts a synchronous handler: the stormer prints, and is named nowhere.
    assert.match(r.stdout, /^last registered\nstormer\n/);
    assert.doesNotMatch(r.stderr, /interrupted/);
    assert.doesNotMatch(r.stdout, /slow/);
    assert.equal(r.status, null);
    assert.ok(['SIGINT', 'SIGTERM'].includes(r.signal), String(r.signal));
  });

  test('ten signals sent to itself during the synchronous run of process.exit(0): once each, no hang', async () => {
    const r = await run('hard-signal-storm.mjs', { args: ['self-sync'], timeout: 15_000 });
    once(r.stdout, names);
    // the sync run cannot be interrupted: every sync handler ran (the async one is not awaited)
    assert.equal(r.stdout, 'last registered\nstormer\nmiddle\nfirst registered\n');
    assert.ok((r.status === 0 && r.signal === null) || (r.status === null && ['SIGINT', 'SIGTERM'].includes(r.signal)), `${r.status} ${r.signal}`);
  });
});

/** Runs hard-closed.mjs and closes its `stream` pipe (our end) once it prints CLOSE. */
function runClosed(args, stream) {
  const [file, argv] = command(fixture('hard-closed.mjs'), args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env: { ...process.env, NODE_DEBUG: 'atexit' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hard-closed.mjs ${args.join(' ')} did not end`));
    }, 15_000);
    let stdout = '';
    let closed = false;
    child.stderr.on('data', () => {});
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      if (!closed && stdout.includes('CLOSE\n')) {
        closed = true;
        child[stream].destroy();
      }
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, closed });
    });
  });
}

describe('closed output', () => {
  for (const stream of ['stdout', 'stderr']) {
    for (const when of ['before', 'during']) {
      for (const [ending, status, signal] of [['natural', 0, null], ['exit', 3, null], ['signal', null, 'SIGTERM']]) {
        test(`${stream} broken (EPIPE) ${when} the run, ending ${ending}: reports dropped, every handler runs`, async (t) => {
          const dir = tempDir(t);
          const r = await runClosed([dir, stream, when, ending], stream);
          assert.ok(r.closed, 'the fixture never asked to close');
          const log = readFileSync(join(dir, 'log'), 'utf8');
          assert.equal(log, `main done\n${when === 'during' ? 'closer\n' : ''}h3\nh2\nh1\n`);
          assert.deepEqual([r.status, r.signal], [status, signal]);
        });
      }
    }
  }

  test("stdout and stderr 'ignore': reports go nowhere, handlers run, status kept", async (t) => {
    const dir = tempDir(t);
    const [file, argv] = command(fixture('hard-ignored.mjs'), [dir]);
    const status = await new Promise((resolve) => spawn(file, argv, { stdio: 'ignore' }).on('close', resolve));
    assert.equal(readFileSync(join(dir, 'log'), 'utf8'), 'h3\nh2\nh1\n');
    assert.equal(status, 3);
  });
});

describe('a damaged environment', () => {
  const damages = [
    'process-deleted', 'process-undefined', 'process-null', 'process-number', 'process-empty', 'process-proxy',
    'process-revoked', 'process-getter-throws', 'process-hostile-shape', 'process-frozen-shape',
    'key-number', 'key-string', 'key-object', 'key-frozen', 'key-frozen-versioned', 'key-mimic', 'key-frozen-mimic',
    'key-function', 'key-revoked', 'key-proxy', 'key-locked', 'key-getter-throws', 'global-frozen',
  ];
  for (const damage of damages) {
    test(`${damage}: import, register, unregister, runExitFuncs never throw; the registry works`, async () => {
      const r = await run('hard-env.mjs', { args: [damage] });
      const atExit = damage.startsWith('process') ? '' : 'at exit\n';
      assert.equal(r.stdout, `count 2\nb 2\na 1\ncount 0\nmain done\n${atExit}`);
      assert.deepEqual([r.status, r.signal], [0, null]);
    });
  }
});

describe('a polluted Object.prototype and Array.prototype (issue 18)', () => {
  // Every name the bundles read as a property (`.name`, `?.name`, destructured, quoted), and
  // the option names: read from dist/, so the list grows with the code. Left out: names the
  // runtime itself reads through the prototype, which break it without atexit (Node's module
  // loader reads `options.signal` at import, its console `write` on a pipe; `cause` is printed
  // with every uncaught error by Node's inspector when any object in the chain has one).
  const runtimeOwn = new Set(['signal', 'write', 'cause']);
  const source = ['index.js', 'deno.js']
    .map((file) => readFileSync(fileURLToPath(new URL(`../dist/${file}`, import.meta.url)), 'utf8'))
    .join('\n')
    .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  const names = new Set(Object.keys(atexit.configure()));
  for (const [, name] of source.matchAll(/\.\s*([A-Za-z_$][\w$]*)/g)) names.add(name);
  for (const [, list] of source.matchAll(/\{([^{}=()]*)\}\s*=[^=>]/g)) {
    for (const part of list.split(',')) names.add(part.trim().split(/[\s:=]/)[0]);
  }
  // Quoted names too: keys read by a helper (`ownProp(p, 'versions')`), `in`, events and signals.
  for (const [, name] of source.matchAll(/["']([A-Za-z_$][\w$]*)["']/g)) names.add(name);
  const list = [...names].filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && !runtimeOwn.has(name)).join(',');

  test('the list of names is read from the bundles: options, shared state, listener marks, descriptors', () => {
    for (const name of ['deadline', 'reporter', 'run', 'closing', 'uninstall', 'self', 'exit', 'late', 'kill', 'last', 'get', 'set', '__signal_exit_emitter__', 'NODE_DEBUG', 'bun']) {
      assert.ok(list.split(',').includes(name), name);
    }
  });

  const expected = {
    natural: ['ending reason,code natural 0\nslow awaited\nresource disposed\nfirst registered 1\n', 0, null],
    exit: ['ending reason,code exit 3\nslow awaited\nresource disposed\nfirst registered 1\n', 3, null],
    signal: ['READY\nending reason,signal signal SIGTERM\nslow awaited\nresource disposed\nfirst registered 1\n', null, 'SIGTERM'],
    throw: ['ending reason,error error Error: uncaught\nresource disposed\nfirst registered 1\n', 1, null],
  };
  for (const [ending, [tail, status, signal]] of Object.entries(expected)) {
    test(`ending by ${ending}: polluted before or after the import, the same output and status as clean`, async () => {
      const signals = ending === 'signal' ? ['SIGTERM'] : [];
      const clean = await run('hard-polluted.mjs', { args: ['none', 'number', ending, list], signals });
      assert.equal(clean.stdout, `options deadline,reporter,signals 10000 function true\nscope ended\ncount 5\n${tail}`);
      assert.deepEqual([clean.status, clean.signal], [status, signal]);
      assert.match(clean.stderr, /Exception ignored in atexit callback failing:\nError: boom\n/);
      for (const when of ['before', 'after']) {
        for (const kind of ['number', 'string']) {
          const r = await run('hard-polluted.mjs', { args: [when, kind, ending, list], signals });
          assert.deepEqual({ ...r, when, kind }, { ...clean, when, kind });
        }
      }
    });
  }
});
