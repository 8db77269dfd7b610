// Signals: which ones atexit takes for endings, which it refuses and why, and the tables by
// operating system for a runtime that cannot look them up (Deno, a page, an older Node).
import type { Adapter } from './contract.ts';
import type { Shared } from './state.ts';

/** Signals that are endings unless the runtime lacks them or uses one for something else. */
const DEFAULT_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGUSR2', 'SIGBREAK'];

/** Signals atexit never listens to, and why. */
const FAULT = 'a fault: a listener would return to the faulting code and loop forever';
const REFUSED: Record<string, string> = {
  SIGKILL: 'it cannot be caught',
  SIGSTOP: 'it cannot be caught',
  SIGSEGV: FAULT,
  SIGBUS: FAULT,
  SIGFPE: FAULT,
  SIGILL: FAULT,
  SIGUSR1: 'it starts the inspector (the debugger)',
  SIGPIPE: 'a broken pipe is not an ending (the runtime ignores it)',
  SIGPROF: 'profilers use it',
  SIGTRAP: 'debuggers use it',
};

/** The signals atexit treats as endings now: the configured list, or the platform's defaults. */
export function listened(s: Shared, a: Adapter): string[] {
  const chosen = s.options.signals;
  if (chosen) return [...chosen];
  const known = a.signals();
  const reserved = a.reserved();
  // Windows (where SIGBREAK is Ctrl+Break) never delivers SIGTERM.
  const windows = Object.hasOwn(known, 'SIGBREAK');
  return DEFAULT_SIGNALS.filter((signal) => Object.hasOwn(known, signal) && signal !== reserved && !(windows && signal === 'SIGTERM'));
}

/** Checks `configure({ signals })`: an array of names the runtime knows and atexit may take. */
export function checkSignals(value: unknown, a: Adapter): string[] {
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) {
    throw new TypeError('atexit.configure: signals must be an array of signal names, such as ["SIGINT", "SIGTERM", "SIGQUIT"]');
  }
  const known = a.signals();
  for (const name of value as string[]) {
    if (Object.hasOwn(REFUSED, name)) throw new TypeError(`atexit.configure: signals cannot include ${name}: ${REFUSED[name]}`);
    if (!Object.hasOwn(known, name)) throw new TypeError(`atexit.configure: unknown signal ${JSON.stringify(name)} (not a signal this runtime knows${((m) => (m ? `; did you mean "${m}"?` : ''))(meant(name, Object.keys(known)))})`);
  }
  return [...new Set(value as string[])];
}

let linux: Readonly<Record<string, number>> | undefined;
/**
 * Linux's numbers for the signals (SIGHUP is 1, and so on), for an adapter that cannot look them
 * up; made at the first call, not at import.
 */
export function linuxSignals(): Readonly<Record<string, number>> {
  return (linux ??= Object.fromEntries(
    'HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS'
      .split(' ')
      .map((name, i) => [`SIG${name}`, i + 1])
      .concat([['SIGIOT', 6], ['SIGPOLL', 29]]),
  ));
}

/** The signals Deno can listen to on Windows: only these two. */
const WINDOWS: Record<string, number> = { SIGINT: 2, SIGBREAK: 21 };
/** Where macOS and the BSDs number a signal otherwise than Linux (those of `configure`'s reach). */
const BSD: Record<string, number> = { SIGUSR1: 30, SIGUSR2: 31, SIGBUS: 10, SIGSYS: 12, SIGURG: 16, SIGSTOP: 17, SIGTSTP: 18, SIGCONT: 19, SIGCHLD: 20, SIGIO: 23 };

/**
 * The signals of an operating system, named as Deno's `build.os` names it (undefined: Linux's
 * numbers): Linux's table, with the BSDs' numbers elsewhere, and only two on Windows.
 */
export function signalsOf(os: string | undefined): Readonly<Record<string, number>> {
  if (os === 'windows') return WINDOWS;
  const table: Record<string, number> = { ...linuxSignals(), ...(os === 'linux' || os === 'android' ? {} : BSD) };
  if (os !== 'linux' && os !== 'android') {
    delete table.SIGSTKFLT;
    delete table.SIGPWR;
  }
  return table;
}

/**
 * Whether the process of `/proc/<pid>/stat` leads its own process group (a job-control shell
 * starts each program so): then no parent shares its group, and a signal sent to the group (a
 * terminal's Ctrl+C) reaches it once, never again through a parent that forwards it.
 */
export function leadsGroup(stat: string, pid: number): boolean {
  // "pid (name) state ppid pgrp …"; the name may hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[2]) === pid;
}

/**
 * The known signal a mistyped `name` meant, for an error message: the same name in capitals
 * with its `SIG` prefix (`sigterm`, `TERM`); undefined when that is not a known one either.
 * (A misspelling such as `SIGTREM` is the type checker's to catch: `Options['signals']`.)
 */
export function meant(name: string, known: readonly string[]): string | undefined {
  const upper = name.toUpperCase().replace(/^(?!SIG)/, 'SIG');
  return known.includes(upper) ? upper : undefined;
}
