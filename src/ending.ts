// How the program ends: the one policy every runtime shares. A runtime adapter notices an event
// (the loop drained, a signal, the runtime exiting, an error that ends the program), tells this
// module, and gets back at most one last act to perform (exit with a status, die by a signal).
// The state lives in `Shared`: idle (no run), running (`s.run`: why, and the exit a handler or
// the program asked for), closing (`s.closing`: the last act is decided and waits for output to
// drain), and ended (the runtime is gone).
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
  /** Settles once what was written to stdout and stderr is out; the policy bounds the wait. */
  drain(): Promise<void>;
  /** Calls `fn` on a later turn of the event loop, once a signal that came meanwhile was heard. */
  later(fn: () => void): void;
  /** The last acts. `exit(undefined)` keeps the status the program would have had. */
  exit(code: number | undefined): void;
  kill(signal: string): void;
}

/** A decided last act; `undefined` lets the program go on (or end by itself). */
export type Act = { exit: number | undefined } | { kill: string } | undefined;

/** What a run started here does when it ends and no handler asked for an exit. */
const plans = new WeakMap<Run, (outcome: Outcome) => Act>();

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
    conclude(s, a, run.outcome, plans.get(run));
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
    s.closing = { kill: signal };
    return final(s, a);
  }
  begin(s, a, { reason: 'signal', signal }, true, () => ({ kill: signal }));
}

function begin(s: Shared, a: Adapter, ending: Ending, wait: boolean, plan: (outcome: Outcome) => Act): Run {
  let run: Run | undefined;
  const started = start(s, a.host(), ending, wait, (outcome) => {
    if (run) conclude(s, a, outcome, plan); // else it ended inside start(): concluded below
  });
  run = started;
  plans.set(started, plan);
  if (started.over) conclude(s, a, started.outcome, plan);
  return started;
}

/**
 * A run ended. An exit that a handler (or the program) asked for during the run is performed at
 * once, as `process.exit()` itself would be; otherwise the plan decides.
 */
function conclude(s: Shared, a: Adapter, outcome: Outcome, plan: ((outcome: Outcome) => Act) | undefined): void {
  if (outcome.exit) {
    // Inside a handler's runExitFuncs() this is that handler's SystemExit (the stand-in throws).
    settle(s);
    return a.exit(outcome.exit.code);
  }
  const act = plan?.(outcome);
  if (act) close(s, a, act);
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

/** The last act is decided: after one more turn (a pending signal is heard) and the drain. */
function close(s: Shared, a: Adapter, act: NonNullable<Act>): void {
  s.closing = act;
  const { deadline } = s.options;
  a.later(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => {
      if (deadline <= 2_147_483_647) timer = setTimeout(resolve, deadline);
    });
    let drain: Promise<void>;
    try {
      drain = Promise.resolve(a.drain());
    } catch {
      drain = Promise.resolve();
    }
    Promise.race([drain.catch(() => {}), bound]).then(() => {
      clearTimeout(timer);
      final(s, a);
    });
  });
}

function final(s: Shared, a: Adapter): void {
  const act = s.closing;
  if (!act || act === 'linger') return;
  s.closing = undefined;
  settle(s);
  // A runtime ends here; a page stays as it is (and may be ended again later).
  if ('kill' in act) {
    // The signal must find the runtime's default action, not our listeners, even if handlers
    // were registered meanwhile.
    const { uninstall } = s;
    s.uninstall = undefined;
    uninstall?.();
    a.kill(act.kill);
  } else {
    a.exit(act.exit);
  }
}
