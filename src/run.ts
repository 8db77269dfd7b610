// One run of the registry's handlers, newest first: calls them, awaits what they return within
// the deadline, stops one that spins (where the host lends a watchdog), and reports failures.
// Runtime-free: what it needs of the runtime comes through `Host`.
import type { Ending, Host, Outcome, Run } from './contract.ts';
import { ExitRequest, isExit } from './exit.ts';
import type { Handler } from './registry.ts';
import { nameOf, report, write } from './report.ts';
import type { Shared } from './state.ts';

/**
 * How long a synchronous handler may spin once the deadline has passed (ms), before the watchdog
 * stops it and the older ones run: each stretch after the deadline gets this much.
 */
export const GRACE = 1_000;

/**
 * Runs the shared registry, newest first. Synchronous handlers run inside this call; when
 * `wait` is true a returned promise is awaited before the next handler, within the deadline.
 * Every failure goes to the reporter; nothing is thrown out of here. `onEnd` is called
 * synchronously when the run ends, so an adapter can end the program without a tick.
 */
export function start(s: Shared, host: Host, ending: Ending, wait: boolean, onEnd?: (outcome: Outcome) => void): Run {
  const entries = s.registry.drain();
  const outcome: Outcome = Object.create(null); // `exit` and `late` are absent until set
  const begun = performance.now(); // the deadline's start
  let waiting = 0; // bumped to abandon the promise being awaited
  let cancel: (() => void) | undefined; // the deadline's timer
  let running: Handler; // the handler being called, named if a watchdog stops it
  let settle!: (outcome: Outcome) => void;
  let flushed = false; // the runtime took over the ending (see flush)
  const done = new Promise<Outcome>((resolve) => (settle = resolve));
  const run: Run = { outcome, ending, outer: s.run, over: false, awaiting: undefined, done, flush, skip, abandon };
  s.run = run;

  // NODE_DEBUG=atexit: one line per handler, with how it ended and how long it took.
  const trace = (func: Handler, how: string, since: number): void => {
    if (host.trace) write(`${host.trace} ${nameOf(func)} ${how} after ${(performance.now() - since).toFixed(3)} ms`);
  };
  const fail = (func: Handler, error: unknown, since: number): void => {
    if (isExit(error)) outcome.exit = error;
    else report(s.options.reporter, func, error);
    trace(func, isExit(error) ? `asked to exit (${error.code})` : `failed (registered at ${s.sites?.get(func) ?? '?'})`, since);
  };
  const finish = (): void => {
    if (run.over) return;
    run.over = true;
    run.awaiting = undefined;
    cancel?.();
    entries.end();
    if (s.run === run) {
      // Back to the innermost run still going, if any.
      let outer = run.outer;
      while (outer?.over) outer = outer.outer;
      s.run = outer;
    }
    settle(outcome);
    onEnd?.(outcome);
  };

  /**
   * Awaits the thenable a handler returned: true if the loop must stop until it settles, false
   * if it settled inside then() already. Apart from the loop, so that the closures made here do
   * not make the loop allocate a context for every handler.
   */
  const awaits = (func: Handler, value: unknown, then: Then, since: number): boolean => {
    // A thenable may settle inside then() itself: that result is taken here and the loop goes
    // on, so the run never ends (nor ends the program) from inside a then() call.
    const settled = (failed: boolean, error: unknown): void => {
      if (failed) fail(func, error, since);
      else trace(func, 'resolved (awaited)', since);
    };
    let now: { error?: unknown; failed: boolean } | undefined;
    let later = false;
    const ticket = ++waiting;
    whenSettled(value, then, (failed, error) => {
      if (!later) now ??= { failed, error };
      else if (ticket === waiting && !run.over) {
        run.awaiting = undefined;
        settled(failed, error);
        step();
      }
    });
    later = true;
    if (now) {
      waiting++; // a then() that calls back again later is not heard
      settled(now.failed, now.error);
      return false;
    }
    run.awaiting = func;
    const { deadline } = s.options;
    if (cancel === undefined && deadline !== Infinity) {
      const expire = (): void => {
        write(`atexit: deadline of ${deadline} ms passed while awaiting ${nameOf(run.awaiting ?? func)}; the remaining handlers run without waiting`);
        overdue();
      };
      const ms = Math.max(0, deadline - (performance.now() - begun));
      let armed: () => void;
      if (host.timer) armed = host.timer(expire, ms);
      else {
        const id = setTimeout(expire, ms);
        armed = () => clearTimeout(id);
      }
      // Deno's first setTimeout() loads its timers and runs pending promise callbacks inside
      // this call: the run may have gone on (armed its own timer) or even finished meanwhile.
      if (cancel === undefined && !run.over) cancel = armed;
      /* c8 ignore next: Deno */
      else armed();
    }
    return true;
  };

  /** Calls handlers until one must be awaited (false) or none is left (true). */
  const loop = (exits: readonly unknown[]): boolean => {
    // The hot path: per handler, one take-out, one or two `===` and a plain call when the
    // handler has no arguments and no decorator's `this`. Adapters hand one or two exits.
    const exit0 = exits[0];
    const exit1 = exits.length > 1 ? exits[1] : exit0;
    const tracing = host.trace !== undefined;
    const selves = s.self; // made by the first decorator, before its registration
    return entries.each((func, args) => {
      if (run.over) return false;
      const since = tracing ? performance.now() : 0;
      let value: unknown;
      running = func;
      try {
        if (func === exit0 || func === exit1 || (exits.length > 2 && exits.includes(func))) {
          throw new ExitRequest(args?.[0] as number | undefined); // register(process.exit, n)
        }
        if (args || selves) value = Reflect.apply(func, selves?.get(func), args ?? []);
        else value = func();
      } catch (error) {
        fail(func, error, since);
        return true;
      }
      const then = thenOf(value);
      if (!then) {
        if (tracing) trace(func, 'returned', since);
      } else if (!wait) {
        // Past the deadline one line said so already.
        if (!outcome.late) write(`atexit: ${nameOf(func)} returned a promise that cannot be awaited: ${flushed ? 'the program is ending now' : notAwaited(ending)}`);
        whenSettled(value, then, () => {});
        trace(func, 'returned a promise, not awaited,', since);
      } else if (awaits(func, value, then, since)) {
        return false;
      }
      return true;
    });
  };
  // finish() may end the program, so it runs outside the guard. The deadline bounds synchronous
  // handlers too, where the host lends a watchdog.
  const step = (): void => {
    const base = s.run; // this run, or one begun by other code while it waited
    const ms = outcome.late ? GRACE : s.options.deadline - (performance.now() - begun);
    const done = host.watch ? host.watch(loop, ms) : host.guard(loop);
    if (done === true) finish();
    else if (done) stopped(base);
  };
  /**
   * A watchdog stopped `running` midway (its `finally` blocks did not run). It counts as taken;
   * the older ones still run, without waiting.
   */
  const stopped = (base: Run | undefined): void => {
    // A run the stopped handler began (its runExitFuncs()) was cut short with it: it ends too.
    for (let inner = s.run; inner && inner !== base && inner !== run; inner = inner.outer) inner.abandon();
    s.run = run;
    const when = outcome.late ? `${GRACE} ms after the deadline` : `after the deadline of ${s.options.deadline} ms`;
    write(`atexit: ${nameOf(running)} was stopped ${when}; the remaining handlers run without waiting`);
    overdue();
  };
  /** Past the deadline: waiting stops, and the remaining handlers run now, none awaited. */
  const overdue = (): void => {
    outcome.late = true;
    runRest();
  };
  /** Stops waiting: what the run still holds runs now, no promise awaited. */
  const runRest = (): void => {
    wait = false;
    waiting++;
    run.awaiting = undefined;
    cancel?.();
    step();
  };

  function flush(): void {
    onEnd = undefined; // the runtime is ending the program itself
    flushed = true;
    runRest();
  }

  function abandon(): void {
    if (run.over) return;
    run.over = true;
    run.awaiting = undefined;
    waiting++;
    cancel?.();
    entries.end(true);
    settle(outcome);
  }

  function skip(): void {
    if (run.over || !run.awaiting) return;
    run.awaiting = undefined;
    waiting++;
    step();
  }

  step();
  return run;
}

/** Why a promise is not awaited on an ending that cannot wait, and what would have awaited it. */
function notAwaited(ending: Ending): string {
  switch (ending.reason) {
    case 'exit':
      return 'the program is exiting synchronously; end with atexit.exit() to await it';
    case 'error':
      return 'the program is ending on an uncaught error';
    /* c8 ignore next 4: a browser's pagehide; a Deno worker's natural end (run synchronously) */
    case 'pagehide':
      return 'the page is going away';
    default:
      return 'the program is ending now';
  }
}

type Then = (this: unknown, ok?: unknown, fail?: unknown) => unknown;

/** Calls `then` once, with `done` told how the thenable settled; a throwing then() rejects. */
function whenSettled(value: unknown, then: Then, done: (failed: boolean, error?: unknown) => void): void {
  try {
    then.call(value, () => done(false), (error: unknown) => done(true, error));
  } catch (error) {
    done(true, error);
  }
}

function thenOf(value: unknown): Then | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  try {
    const { then } = value as { then?: unknown };
    return typeof then === 'function' ? (then as never) : undefined;
  } catch {
    return undefined;
  }
}
