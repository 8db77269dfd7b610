// How the program ends: the one policy every runtime shares. A runtime adapter notices an event
// (the loop drained, a signal, the runtime exiting, an error that ends the program), tells this
// module, and gets back at most one last act to perform (exit with a status, die by a signal).
// The state lives in `Shared`: idle (no run), running (`s.run`: why, and the exit a handler or
// the program asked for), closing (`s.closing`: the last act is decided and waits for output to
// drain), and ended (the runtime is gone).
import { raising } from './company.ts';
import { ExitRequest, start, type Host, type Outcome, type Run } from './run.ts';
import { settle, type Ending, type Shared } from './state.ts';

/** What a runtime adapter lends to the policy. */
export interface Adapter {
  host(): Host;
  /** The status the program would end with now. */
  status(): number;
  /**
   * Whether the program itself listens to `signal`; then a signal is the program's to handle.
   * Listeners of atexit and of other exit-hook libraries do not count.
   */
  listens(signal: string): boolean;
  /**
   * Calls `then` once what was written to stdout and stderr is out, or after `ms`; at once,
   * synchronously, when nothing waits (so an exit stays synchronous). Never throws.
   */
  drain(ms: number, then: () => void): void;
  /** Calls `fn` on a later turn of the event loop, once a signal that came meanwhile was heard. */
  later(fn: () => void): void;
  /** The last acts. `exit(undefined)` keeps the status the program would have had. */
  exit(code: number | undefined): void;
  kill(signal: string): void;
}

/**
 * A decided last act; `undefined` lets the program go on (or end by itself). `last`, on a kill
 * after a run, withdraws this copy's claim to re-raise and says whether it is the last one
 * running for that signal (see company.ts).
 */
export type Act = { exit: number | undefined } | { kill: string; last: (() => boolean) | undefined } | undefined;

/** What a run started here does when it ends and no handler asked for an exit. */
type Plan = (outcome: Outcome) => Act;
/** Each run's plan, and when it began: output drains within what is left of the deadline. */
const plans = new WeakMap<Run, { plan: Plan; since: number }>();

/**
 * Checks an exit status the way the runtimes do, before anything happens: an integer (a string
 * of digits for `process.exit`, as Node takes it), or nothing for "the status it would have".
 */
export function checkCode(code: unknown, who: string, strings = false): number | undefined {
  if (code === undefined || (strings && code === null)) return undefined;
  const value = strings && typeof code === 'string' && /^\s*-?\d+\s*$/.test(code) ? Number(code) : code;
  if (typeof value !== 'number') {
    throw new TypeError(`${who}: the exit code must be an integer, got ${typeof code === 'string' ? `the string ${JSON.stringify(code)}` : typeof code}`);
  }
  if (!Number.isSafeInteger(value)) throw new RangeError(`${who}: the exit code must be an integer, got ${value}`);
  return value;
}

/** Why the program is ending, as it will really end: a later exit request changes the code. */
export function describeEnding(s: Shared, a: Adapter): Ending | undefined {
  const run = s.run;
  if (!run) return undefined;
  const { ending } = run;
  const exit = run.outcome.exit;
  if (exit && (ending.reason === 'exit' || ending.reason === 'natural')) {
    const code = exit.code ?? a.status();
    if (code !== ending.code) return { reason: ending.reason, code };
  }
  return ending;
}

/** `atexit.exit(code)`: a run that awaits, then the program ends with `code`. */
export function request(s: Shared, a: Adapter, code: number | undefined): void {
  if (s.run) {
    // Asked again while handlers run (inside one, or from other code): the last request wins.
    s.run.outcome.exit = new ExitRequest(code);
    return;
  }
  begin(s, a, { reason: 'exit', code: code ?? a.status() }, true, () => ({ exit: code }));
}

/** `runExitFuncs()`: a run that awaits; the program goes on unless a handler asked to exit. */
export function manual(s: Shared, a: Adapter): Run {
  return begin(s, a, { reason: 'manual' }, true, () => undefined);
}

/**
 * The event loop drained. Returns true when a run now waits, so a runtime that asks for it
 * (Deno's `beforeunload`) keeps the loop going. A run already waiting then can never settle
 * (nothing is left that could settle it): what it still holds runs now, and it ends as planned.
 */
export function drained(s: Shared, a: Adapter, code = a.status()): boolean {
  if (s.closing) return false;
  const run = s.run;
  if (run) {
    run.flush();
    conclude(s, a, run, plans.get(run));
    return s.closing !== undefined;
  }
  if (s.registry.size === 0) {
    settle(s);
    return false;
  }
  begin(s, a, { reason: 'natural', code }, true, (outcome) => (outcome.late ? { exit: undefined } : undefined));
  return s.run !== undefined || s.closing !== undefined;
}

/**
 * The runtime ends the program now, synchronously (`process.exit()` from other code, an error
 * nobody handles, the end after the last drain, a page going away). What is left runs without
 * waiting. Returns the exit a handler asked for, if any: the adapter makes it the status.
 */
export function exiting(s: Shared, a: Adapter, ending: Ending): ExitRequest | undefined {
  let outcome: Outcome;
  const run = s.run;
  if (run) {
    // The program exits while our run waits (a handler's awaited part, or other code).
    if (ending.reason === 'exit') run.outcome.exit = new ExitRequest(ending.code);
    run.flush();
    outcome = run.outcome;
  } else {
    outcome = start(s, a.host(), ending, false).outcome;
  }
  if (s.closing === 'linger') s.closing = undefined;
  settle(s);
  return outcome.exit;
}

/**
 * A terminating signal. The program's own listener makes it the program's to handle; during a
 * run or while closing it ends the program at once; otherwise (also while lingering after a run,
 * which is when a signal sent during synchronous handlers arrives) the handlers registered now
 * run, awaited, and the program dies by it.
 */
export function signalled(s: Shared, a: Adapter, signal: string): void {
  if (a.listens(signal)) return; // handlers run at the real end, whatever the program does now
  if (s.run || (s.closing && s.closing !== 'linger')) {
    s.closing = { kill: signal, last: undefined };
    return final(s, a);
  }
  // Other copies of atexit (any major) may run for the same signal: the last to finish re-raises.
  const last = raising(signal);
  begin(s, a, { reason: 'signal', signal }, true, () => ({ kill: signal, last }));
}

function begin(s: Shared, a: Adapter, ending: Ending, wait: boolean, plan: Plan): Run {
  let run: Run | undefined;
  const started = start(s, a.host(), ending, wait, () => {
    if (run) conclude(s, a, run, plans.get(run)); // else it ended inside start(): concluded below
  });
  run = started;
  plans.set(started, { plan, since: performance.now() });
  if (started.over) conclude(s, a, started, plans.get(started));
  return started;
}

/** What output may take before a last act: what is left of the deadline, and at least 1 s. */
const within = (s: Shared, since = performance.now()): number => Math.max(1_000, s.options.deadline - (performance.now() - since));

/**
 * A run ended. An exit that a handler (or the program) asked for during the run is performed at
 * once, as `process.exit()` itself would be; otherwise the plan decides.
 */
function conclude(s: Shared, a: Adapter, run: Run, planned: { plan: Plan; since: number } | undefined): void {
  const { exit } = run.outcome;
  if (exit) {
    settle(s);
    // Inside a handler's runExitFuncs() this is that handler's SystemExit (the stand-in throws).
    if (run.outer) return a.exit(exit.code);
    // Synchronous unless a handler's output still waits to go out.
    return a.drain(within(s, planned?.since), () => a.exit(exit.code));
  }
  const act = planned?.plan(run.outcome);
  if (act) close(s, a, act, planned!.since);
  else linger(s, a);
}

/**
 * No last act: the program goes on or ends by itself. The listeners stay one more turn, so that
 * a signal which came while synchronous handlers ran is heard (and ends the program) before
 * they go.
 */
function linger(s: Shared, a: Adapter): void {
  if (s.closing || s.registry.size > 0 || s.run) return settle(s);
  s.closing = 'linger';
  a.later(() => {
    if (s.closing === 'linger') s.closing = undefined;
    settle(s);
  });
}

/**
 * The last act is decided: once stdout and stderr have drained (within what is left of the
 * deadline of a run begun `since`), and one more turn later (a pending signal is heard).
 */
function close(s: Shared, a: Adapter, act: NonNullable<Act>, since: number): void {
  s.closing = act;
  a.drain(within(s, since), () => a.later(() => final(s, a)));
}

function final(s: Shared, a: Adapter): void {
  const act = s.closing;
  if (!act || act === 'linger') return;
  s.closing = undefined;
  settle(s);
  // A runtime ends here; a page stays as it is (and may be ended again later).
  // An own `kill`: `in` would also see one on a polluted Object.prototype.
  if (Object.hasOwn(act, 'kill')) {
    const { kill, last } = act as Extract<Act, { kill: string }>;
    // The signal must find the runtime's default action, not our listeners, even if handlers
    // were registered meanwhile.
    const { uninstall } = s;
    s.uninstall = undefined;
    uninstall?.();
    if (last?.() === false) return; // another copy still runs for this signal: it re-raises
    a.kill(kill);
  } else {
    a.exit((act as Extract<Act, { exit: unknown }>).exit);
  }
}
