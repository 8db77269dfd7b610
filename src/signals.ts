// The signal tables, by operating system, for a runtime that cannot look them up (Deno, a page)
// or an older Node. Which of them atexit takes for endings, or refuses, is ending.ts's choice.

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
