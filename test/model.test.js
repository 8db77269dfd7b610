// Model-based fuzzing: long random programs run against the package and against a plain-array
// model of Python's atexit (CPython <= 3.13, `atexit_callfuncs`): LIFO; duplicates run once per
// registration; unregister removes every registration by identity; a handler registered during
// a run is not run (one stderr line names it); one unregistered (or cleared) before its turn is skipped; after a run the
// registry is empty. process.exit() inside a handler is SystemExit: that handler stops, the run
// goes on, and the last request wins; runExitFuncs() then ends the program (here: a stub).
//
// Handlers that "await" return thenables that settle synchronously, so the whole run stays
// synchronous and the model needs no scheduler, while the package's awaiting path still runs.
// For the same reason a nested runExitFuncs() is called, never returned (its promise is native).
//
// `npm test` uses a fixed seed; `npm run fuzz` (scripts/fuzz.js) sets ATEXIT_FUZZ_SEED and
// ATEXIT_FUZZ_RUNS for a longer run with a random seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as atexit from 'atexit';

const seed = Number(process.env.ATEXIT_FUZZ_SEED ?? 20260101);
const numRuns = Number(process.env.ATEXIT_FUZZ_RUNS ?? 300);
const POOL = 4; // distinct handler identities, so duplicates and unregister-by-identity matter

// ---- programs ----
const key = fc.integer({ min: 0, max: POOL - 1 });
const code = fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined });
// `bare`: registered without arguments (the handler then does the plain 'ok' action), so
// registrations with and without arguments sit side by side in the registry.
const bare = fc.boolean();
const OK = Object.freeze({ kind: 'ok' });
const { action } = fc.letrec((tie) => ({
  action: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: fc.record({ kind: fc.constant('ok') }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('throw') }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('resolve') }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('reject') }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('exit'), code }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('atexit.exit'), code }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('unregister'), key }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('clear') }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('nested') }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('register'), key, then: tie('action'), bare }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('seq'), steps: fc.array(tie('action'), { minLength: 2, maxLength: 4 }) }), weight: 4 },
  ),
}));
const op = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('register'), key, action, bare }), weight: 8 },
  // Many registrations of one function at once: unregistering it then leaves more removed
  // slots than live ones, so the registry squeezes them out and rebuilds its index.
  { arbitrary: fc.record({ op: fc.constant('burst'), key, n: fc.integer({ min: 1, max: 150 }), action, bare }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('unregister'), key }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('clear') }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('run') }), weight: 2 },
);
const program = fc.array(op, { minLength: 1, maxLength: 80 });

// ---- the reference model ----
class Exit {
  constructor(code) {
    this.code = code;
  }
}

function model(ops) {
  const trace = [];
  let entries = []; // { key, action, alive }
  let epoch = 0;
  let ids = 0;
  let depth = 0; // runs in progress
  const add = (k, a) => entries.push({ key: k, action: a, alive: true, id: ids++, late: depth > 0 });
  const unregister = (k) => entries.forEach((e) => e.key === k && (e.alive = false));
  const clear = () => {
    entries = [];
    epoch++;
  };
  const run = () => {
    const mine = epoch;
    const list = entries;
    const outcome = {};
    depth++;
    for (let i = list.length - 1; i >= 0 && epoch === mine; i--) {
      const e = list[i];
      if (!e.alive) continue;
      e.alive = false;
      try {
        call(e, outcome);
      } catch (error) {
        if (!(error instanceof Exit)) throw error;
        outcome.exit = error;
      }
    }
    depth--;
    // What was registered during a run and is still there is dropped: one stderr line each (issue 28).
    for (const e of entries) if (e.late && e.alive) trace.push(`late ${e.key}`);
    clear(); // Python's atexit_cleanup: whatever was registered meanwhile goes too
    return outcome;
  };
  const call = (e, outcome) => {
    trace.push(`call ${e.key}`);
    perform(e, e.action, outcome, true);
  };
  // `last`: this step's value is what the handler returns (a thenable mid-seq is ignored).
  // Returns true when the handler stops there.
  const perform = (e, a, outcome, last) => {
    switch (a.kind) {
      case 'seq':
        for (let i = 0; i < a.steps.length; i++) {
          trace.push(`step ${e.key}`);
          if (perform(e, a.steps[i], outcome, last && i === a.steps.length - 1)) return true;
        }
        return false;
      case 'reject':
        if (!last) return false;
      // falls through
      case 'throw':
        trace.push(`report ${e.key}`);
        return true;
      case 'exit':
        throw new Exit(a.code);
      case 'atexit.exit':
        // recorded on the innermost run in progress; the handler goes on
        outcome.exit = new Exit(a.code);
        trace.push(`after ${e.key}`);
        return false;
      case 'unregister':
        unregister(a.key);
        return false;
      case 'clear':
        clear();
        return false;
      case 'register':
        add(a.key, a.bare ? OK : a.then);
        return false;
      case 'nested': {
        const inner = run();
        // runExitFuncs() ends the program after a run that asked to exit; inside a handler
        // that exit is itself a request, which stops the calling handler.
        if (inner.exit) throw inner.exit;
        return false;
      }
      default: // ok, resolve
        return false;
    }
  };
  for (const o of ops) {
    if (o.op === 'register') add(o.key, o.bare ? OK : o.action);
    else if (o.op === 'burst') for (let i = 0; i < o.n; i++) add(o.key, o.bare ? OK : o.action);
    else if (o.op === 'unregister') unregister(o.key);
    else if (o.op === 'clear') clear();
    else {
      const { exit } = run();
      if (exit) trace.push(`process.exit ${exit.code}`);
    }
    trace.push(`count ${entries.filter((e) => e.alive).length}`);
  }
  return trace;
}

// ---- the real thing ----
async function real(ops) {
  const trace = [];
  const pool = Array.from({ length: POOL }, (_, k) => {
    const f = (a = OK) => perform(k, a);
    Object.defineProperty(f, 'name', { value: `f${k}` });
    return f;
  });
  const perform = (k, a) => {
    trace.push(`call ${k}`);
    return act(k, a);
  };
  const act = (k, a) => {
    switch (a.kind) {
      case 'seq': {
        let value;
        for (const step of a.steps) {
          trace.push(`step ${k}`);
          value = act(k, step);
        }
        return value;
      }
      case 'throw':
        throw { k };
      case 'resolve':
        return { then: (ok) => ok() };
      case 'reject':
        return { then: (_, fail) => fail({ k }) };
      case 'exit':
        process.exit(a.code);
        trace.push('unreachable');
        return;
      case 'atexit.exit':
        atexit.exit(a.code);
        trace.push(`after ${k}`);
        return;
      case 'unregister':
        return atexit.unregister(pool[a.key]);
      case 'clear':
        return atexit.clear();
      case 'register':
        if (a.bare) atexit.register(pool[a.key]);
        else atexit.register(pool[a.key], a.then);
        return;
      case 'nested':
        // Not returned: a handler that returns this (native) promise makes its run await it, a
        // tick later, and this model has no scheduler. An exit request from a nested run still
        // stops the calling handler, synchronously. (test/async.test.js covers awaiting one.)
        atexit.runExitFuncs();
        return;
    }
  };
  const realExit = process.exit;
  const previous = atexit.configure();
  atexit.configure({ reporter: ({ handler, error }) => trace.push(`report ${error.k}${handler.name === `f${error.k}` ? '' : ' wrong handler'}`) });
  process.exit = (code) => {
    trace.push(`process.exit ${code}`);
  };
  const error = console.error;
  console.error = (text, ...rest) => {
    const late = /^atexit: f(\d) \(registered at .*\) was registered while handlers ran: it did not run$/.exec(text);
    if (late) trace.push(`late ${late[1]}`);
    else error(text, ...rest);
  };
  try {
    for (const o of ops) {
      if (o.op === 'register') {
        if (o.bare) atexit.register(pool[o.key]);
        else atexit.register(pool[o.key], o.action);
      } else if (o.op === 'burst') {
        for (let i = 0; i < o.n; i++) {
          if (o.bare) atexit.register(pool[o.key]);
          else atexit.register(pool[o.key], o.action);
        }
      } else if (o.op === 'unregister') atexit.unregister(pool[o.key]);
      else if (o.op === 'clear') atexit.clear();
      else await atexit.runExitFuncs();
      trace.push(`count ${atexit.ncallbacks()}`);
    }
  } finally {
    process.exit = realExit;
    console.error = error;
    atexit.clear();
    atexit.configure(previous);
  }
  // 'resolve' and 'reject' trace the same as 'ok' and 'throw' in the model
  return trace;
}

test(`random programs match the Python model (seed ${seed}, ${numRuns} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(program, async (ops) => {
      assert.deepEqual(await real(ops), model(ops));
    }),
    { seed, numRuns, endOnFailure: false },
  );
  assert.equal(atexit.ncallbacks(), 0);
  assert.equal(atexit.ending(), undefined);
});

// The property above only says that the package and the model agree: this pins both to a
// trace written by hand, so that a bug they shared would still fail.
test('the model and the package: LIFO, duplicates, unregister by identity, registered-during-run dropped', async () => {
  const ok = { kind: 'ok' };
  const ops = [
    { op: 'register', key: 0, action: ok },
    { op: 'register', key: 1, action: { kind: 'register', key: 2, then: ok } },
    { op: 'register', key: 0, action: ok },
    { op: 'register', key: 3, action: { kind: 'unregister', key: 0 } },
    { op: 'register', key: 0, action: ok },
    { op: 'run' },
  ];
  const expected = ['count 1', 'count 2', 'count 3', 'count 4', 'count 5', 'call 0', 'call 3', 'call 1', 'late 2', 'count 0'];
  assert.deepEqual(model(ops), expected);
  assert.deepEqual(await real(ops), expected);
});
