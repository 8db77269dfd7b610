// One run of the registry's handlers, newest first: calls them, awaits what they return within
// the deadline, stops one that spins (where the host lends a watchdog), and reports failures.
// Runtime-free: what it needs of the runtime comes through `Host`.
import type { Ending, Host, Outcome, Run } from './contract.ts';
import { ExitRequest, isExit } from './exit.ts';
import type { Drain, Handler } from './registry.ts';
import { nameOf, report, write } from './report.ts';
import type { Shared } from './state.ts';

/**
 * How long a synchronous handler may spin once the deadline has passed (ms), before the watchdog
 * stops it and the older ones run: each stretch after the deadline gets this much.
 */
export const GRACE = 1_000;

/** A run's whole state: the `Run` the policy sees, and what only this module uses. */
interface Running extends Run {
  readonly s: Shared;
  readonly host: Host;
  /** The registrations this run takes out, newest first. */
  readonly entries: Drain;
  /** When the run began: the deadline counts from here. */
  readonly begun: number;
  /** Whether a returned promise is awaited before the next handler. */
  wait: boolean;
  /** Bumped to stop hearing the promise being awaited. */
  ticket: number;
  /** Cancels the deadline's timer, once armed. */
  cancel: (() => void) | undefined;
  /** The handler being called, named if a watchdog stops it. */
  calling: Handler | undefined;
  /** Resolves `done`. */
  resolve: (outcome: Outcome) => void;
  /** Called synchronously when the run ends; dropped once the runtime ends the program itself. */
  onEnd: ((outcome: Outcome) => void) | undefined;
  /** The runtime took over the ending (see flush). */
  flushed: boolean;
}

/**
 * Runs the shared registry, newest first. Synchronous handlers run inside this call; when
 * `wait` is true a returned promise is awaited before the next handler, within the deadline.
 * Every failure goes to the reporter; nothing is thrown out of here. `onEnd` is called
 * synchronously when the run ends, so an adapter can end the program without a tick.
 */
export function start(s: Shared, host: Host, ending: Ending, wait: boolean, onEnd?: (outcome: Outcome) => void): Run {
  let resolve!: (outcome: Outcome) => void; // set at once: a Promise's executor runs in its constructor
  const run: Running = {
    outcome: Object.create(null), // `exit` and `late` are absent until set
    ending,
    outer: s.run,
    over: false,
    awaiting: undefined,
    done: new Promise<Outcome>((resolver) => (resolve = resolver)),
    s,
    host,
    entries: s.registry.drain(),
    begun: performance.now(),
    wait,
    ticket: 0,
    cancel: undefined,
    calling: undefined,
    resolve,
    onEnd,
    flushed: false,
    // The runtime is ending the program itself: the rest runs now, and onEnd is not called.
    flush: () => {
      run.onEnd = undefined;
      run.flushed = true;
      runRest(run);
    },
    skip: () => {
      if (!run.over && run.awaiting) goOn(run);
    },
    abandon: () => end(run, true),
  };
  s.run = run;
  step(run);
  return run;
}

/**
 * Calls handlers until one must be awaited or none is left. The deadline bounds synchronous
 * handlers too, where the host lends a watchdog; end() may end the program, so it runs outside
 * the guard.
 */
function step(run: Running): void {
  const base = run.s.run; // this run, or one begun by other code while it waited
  const ms = run.outcome.late ? GRACE : run.s.options.deadline - (performance.now() - run.begun);
  const body = (exits: readonly unknown[]): boolean => loop(run, exits);
  // true: none is left; false: one is awaited; else why a watchdog stopped the stretch.
  const stretch = run.host.watch ? run.host.watch(body, ms) : run.host.guard(body);
  if (stretch === true) end(run);
  else if (stretch) stopped(run, base);
}

/** Calls handlers until one must be awaited (false) or none is left (true). */
function loop(run: Running, exits: readonly unknown[]): boolean {
  // The hot path: per handler, one take-out, one or two `===` and a plain call when the
  // handler has no arguments and no decorator's `this`. Adapters hand one or two exits.
  const exit0 = exits[0];
  const exit1 = exits.length > 1 ? exits[1] : exit0;
  const tracing = run.host.trace !== undefined;
  const selves = run.s.self; // made by the first decorator, before its registration
  return run.entries.each((func, args) => {
    if (run.over) return false;
    const since = tracing ? performance.now() : 0;
    let value: unknown;
    run.calling = func;
    try {
      if (func === exit0 || func === exit1 || (exits.length > 2 && exits.includes(func))) {
        throw new ExitRequest(args?.[0] as number | undefined); // register(process.exit, n)
      }
      if (args || selves) value = Reflect.apply(func, selves?.get(func), args ?? []);
      else value = func();
    } catch (error) {
      fail(run, func, error, since);
      return true;
    }
    const then = thenOf(value);
    if (!then) {
      if (tracing) trace(run, func, 'returned', since);
    } else if (!run.wait) {
      // Past the deadline one line said so already.
      if (!run.outcome.late) write(`atexit: ${nameOf(func)} returned a promise that cannot be awaited: ${notAwaited(run)}`);
      whenSettled(value, then, () => {});
      trace(run, func, 'returned a promise, not awaited,', since);
    } else if (awaits(run, func, value, then, since)) {
      return false;
    }
    return true;
  });
}

/**
 * Awaits the thenable a handler returned: true if the loop must stop until it settles, false
 * if it settled inside then() already. Apart from the loop, so that the closures made here do
 * not make the loop allocate a context for every handler.
 */
function awaits(run: Running, func: Handler, value: unknown, then: Then, since: number): boolean {
  // A thenable may settle inside then() itself: that result is taken here and the loop goes
  // on, so the run never ends (nor ends the program) from inside a then() call.
  const settled = (failed: boolean, error: unknown): void => {
    if (failed) fail(run, func, error, since);
    else trace(run, func, 'resolved (awaited)', since);
  };
  let now: [failed: boolean, error: unknown] | undefined; // how it settled inside then()
  let later = false;
  const ticket = ++run.ticket;
  whenSettled(value, then, (failed, error) => {
    if (!later) now ??= [failed, error];
    else if (ticket === run.ticket && !run.over) {
      run.awaiting = undefined;
      settled(failed, error);
      step(run);
    }
  });
  later = true;
  if (now) {
    run.ticket++; // a then() that calls back again later is not heard
    settled(...now);
    return false;
  }
  run.awaiting = func;
  if (run.cancel === undefined) armDeadline(run, func);
  return true;
}

/** Starts the deadline's timer, when the first promise is awaited; it counts from the run's start. */
function armDeadline(run: Running, func: Handler): void {
  const { deadline } = run.s.options;
  if (deadline === Infinity) return;
  const expire = (): void => {
    write(`atexit: deadline of ${deadline} ms passed while awaiting ${nameOf(run.awaiting ?? func)}; the remaining handlers run without waiting`);
    overdue(run);
  };
  const ms = Math.max(0, deadline - (performance.now() - run.begun));
  const cancel = run.host.timer ? run.host.timer(expire, ms) : clearTimeout.bind(undefined, setTimeout(expire, ms));
  // Deno's first setTimeout() loads its timers and runs pending promise callbacks inside
  // this call: the run may have gone on (armed its own timer) or even ended meanwhile.
  if (run.cancel === undefined && !run.over) run.cancel = cancel;
  /* c8 ignore next: Deno */
  else cancel();
}

/**
 * A watchdog stopped the handler being called midway (its `finally` blocks did not run). It
 * counts as taken; the older ones still run, without waiting.
 */
function stopped(run: Running, base: Run | undefined): void {
  // A run the stopped handler began (its runExitFuncs()) was cut short with it: it ends too.
  for (let inner = run.s.run; inner && inner !== base && inner !== run; inner = inner.outer) inner.abandon();
  run.s.run = run;
  const when = run.outcome.late ? `${GRACE} ms after the deadline` : `after the deadline of ${run.s.options.deadline} ms`;
  write(`atexit: ${nameOf(run.calling!)} was stopped ${when}; the remaining handlers run without waiting`);
  overdue(run);
}

/** Past the deadline: waiting stops, and the remaining handlers run now, none awaited. */
function overdue(run: Running): void {
  run.outcome.late = true;
  runRest(run);
}

/** Stops waiting: what the run still holds runs now, no promise awaited. */
function runRest(run: Running): void {
  run.wait = false;
  run.cancel?.();
  goOn(run);
}

/** Stops hearing the promise being awaited, if any, and goes on with the rest. */
function goOn(run: Running): void {
  run.ticket++;
  run.awaiting = undefined;
  step(run);
}

/**
 * The one teardown, however the run ends. `abandoned`: a watchdog stopped the handler of an
 * outer run that began this one; its older registrations are the outer run's, and `onEnd` is
 * not called.
 */
function end(run: Running, abandoned?: boolean): void {
  if (run.over) return;
  run.over = true; // what was awaited is no longer heard
  run.awaiting = undefined;
  run.cancel?.();
  run.entries.end(abandoned);
  if (run.s.run === run) {
    // Back to the innermost run still going, if any.
    let outer = run.outer;
    while (outer?.over) outer = outer.outer;
    run.s.run = outer;
  }
  run.resolve(run.outcome);
  if (!abandoned) run.onEnd?.(run.outcome);
}

/** A failed handler: an exit request is kept (the last one wins), anything else reported. */
function fail(run: Running, func: Handler, error: unknown, since: number): void {
  if (isExit(error)) run.outcome.exit = error;
  else report(run.s.options.reporter, func, error);
  trace(run, func, isExit(error) ? `asked to exit (${error.code})` : `failed (registered at ${run.s.sites?.get(func) ?? '?'})`, since);
}

/** NODE_DEBUG=atexit: one line per handler, with how it ended and how long it took. */
function trace(run: Running, func: Handler, how: string, since: number): void {
  if (run.host.trace) write(`${run.host.trace} ${nameOf(func)} ${how} after ${(performance.now() - since).toFixed(3)} ms`);
}

/**
 * Why `run` ends, as it will really end: an exit asked for during it (a handler's
 * `process.exit(n)`, a second `atexit.exit(n)`) changes the code; `status` is the one the
 * program would end with now.
 */
export function endingOf(run: Run, status: () => number): Ending {
  const { ending } = run;
  const exit = run.outcome.exit;
  if (exit && (ending.reason === 'exit' || ending.reason === 'natural')) {
    const code = exit.code ?? status();
    if (code !== ending.code) return { reason: ending.reason, code };
  }
  return ending;
}

/** Why a promise is not awaited on an ending that cannot wait, and what would have awaited it. */
function notAwaited(run: Running): string {
  // Once the runtime took over (flush), the program is ending now, however the run began.
  switch (run.flushed || run.ending.reason) {
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

/** Calls `then` once, with `onSettled` told how the thenable settled; a throwing then() rejects. */
function whenSettled(value: unknown, then: Then, onSettled: (failed: boolean, error?: unknown) => void): void {
  try {
    then.call(value, () => onSettled(false), (error: unknown) => onSettled(true, error));
  } catch (error) {
    onSettled(true, error);
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
