// The contract between the ending policy (ending.ts, run.ts) and a runtime adapter
// (runtimes/*.ts): what an adapter lends, what a run is, and what the policy decides. Types only.
import type { ExitRequest } from './exit.ts';
import type { Handler } from './registry.ts';

/** Why the program is ending, as seen by the handlers (see `ending()`). */
export type Ending =
  /** The event loop drained; `code` is the status the program will end with. */
  | { reason: 'natural'; code: number }
  /** `process.exit(code)`, `Deno.exit(code)` or `atexit.exit(code)`. */
  | { reason: 'exit'; code: number }
  /** A terminating signal such as `'SIGTERM'`. */
  | { reason: 'signal'; signal: string }
  /** An uncaught exception or unhandled rejection (status 1). */
  | { reason: 'error'; error: unknown }
  /** The page is going away (browsers, `pagehide`). */
  | { reason: 'pagehide' }
  /** `runExitFuncs()` was called. */
  | { reason: 'manual' };

/**
 * What a runtime adapter lends to the policy: facts and last acts, never a decision. Every member
 * is an own property of the adapter (none optional), so none is read from a polluted prototype.
 */
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
  afterOutput(ms: number, then: () => void): void;
  /** Calls `fn` on a later turn of the event loop, once a signal that came meanwhile was heard. */
  later(fn: () => void): void;
  /** The last acts. `exit(undefined)` keeps the status the program would have had. */
  exit(code: number | undefined): void;
  /**
   * Re-raises `signal` (our listeners are gone) so that the runtime's default action ends the
   * program. Returns false when it could not be sent (no permission, a platform without it).
   */
  kill(signal: string): boolean;
  /**
   * Whether a re-raised `signal` that has not ended the program when kill() returns may still
   * end it: the runtime delivers it later (Deno's signal thread), or another library listens
   * and re-raises it in turn (signal-exit). Where false, still being there means the signal was
   * dropped (PID 1 in a PID namespace) or is ignored.
   */
  inFlight(signal: string): boolean;
  /** Whether a re-raise is unsafe here (Deno as PID 1: the kernel drops it, and Deno then crashes). */
  unsafeKill(): boolean;
  /**
   * Whether one signal may reach the program twice: a parent in its process group (a supervisor,
   * a watcher) can forward a signal the terminal sent to the whole group. False only where the
   * runtime can tell that the program leads its own group (a job-control shell starts it so);
   * true where it cannot (no /proc, no permission to read it).
   */
  relayable(): boolean;
  /** The signals this runtime can listen to, by name, with their numbers. */
  signals(): Readonly<Record<string, number>>;
  /** A signal the runtime uses for something else now (Node's `--heapsnapshot-signal`), if any. */
  reserved(): string | undefined;
  /** How the runtime's watch mode asks the program to end before it restarts it in-process, if it runs under one. */
  restart(): Restart | undefined;
  /**
   * From now on an error stdout or stderr emits (EPIPE: the reader went away) is taken, so what
   * a handler writes cannot crash the ending or change its status. Never throws.
   */
  shield(): void;
}

/** An adapter that hears the event loop drain (Node's `beforeExit`, Deno's `beforeunload`). */
export interface Drains extends Adapter {
  /**
   * Calls `fn` on a later turn of the event loop with whether the program added to what keeps
   * the loop going (a timer, a socket) since this call; false where the runtime cannot tell.
   */
  added(fn: (added: boolean) => void): void;
}

/**
 * A watch mode that restarts the program inside its own process (`deno run --watch`, `bun
 * --watch`) raises a signal to the program's listeners first, indistinguishable from the real
 * one (docs/runtimes.md). Deno then waits (500 ms at most) for the program to end and restarts
 * it once it does; Bun restarts it as soon as the listeners return, before any promise settles.
 */
export interface Restart {
  signal: string;
  waits: boolean;
}

/** What an adapter lends for an error that ends the program unless a listener handles it. */
export interface Failure {
  /**
   * Asks the runtime not to end the program for it yet, and calls `then` on a later turn, once
   * every listener had it, with whether one of the program's handled it.
   */
  hold(then: (handled: boolean) => void): void;
  /** Hands it back to the runtime, which reports it and ends the program as it would have. */
  raise(): void;
  /** Reports it as the runtime would have, and ends the program with `code` now. */
  end(code: number): void;
}

/** What a runtime adapter lends to a run. */
export interface Host {
  /**
   * Runs `body`, a stretch of handler calls, with the runtime's exit functions throwing an
   * `ExitRequest` instead; `body` gets the real ones, so that `register(process.exit, 3)` is
   * an exit request too.
   */
  guard<T>(body: (exits: readonly unknown[]) => T): T;
  /**
   * `guard`, with a watchdog where the runtime has one: `body` is stopped after `ms` (never for
   * Infinity), and then the reason is returned instead.
   */
  watch?<T>(body: (exits: readonly unknown[]) => T, ms: number): T | Stop;
  /** Prefix of `NODE_DEBUG=atexit` lines, such as `ATEXIT 1234:`; undefined when off. */
  trace?: string | undefined;
  /**
   * Calls `fn` after `ms` with a timer that does not keep the program alive (the deadline must
   * never be what keeps it running); returns what cancels it. Without it, a plain setTimeout.
   */
  timer?(fn: () => void, ms: number): () => void;
}

/** Why a watchdog stopped a stretch of handlers. */
export type Stop = 'deadline';

export interface Outcome {
  /** The last exit a handler asked for, if any. */
  exit?: ExitRequest;
  /** The deadline passed: the remaining handlers ran without being awaited. */
  late?: boolean;
}

/** One run of the registry's handlers (run.ts). */
export interface Run {
  readonly outcome: Outcome;
  readonly ending: Ending;
  /** The run this one started inside of (`runExitFuncs()` called by a handler), if any. */
  readonly outer: Run | undefined;
  over: boolean;
  /** The handler whose promise is being awaited, if any. */
  awaiting: Handler | undefined;
  /** Settles after the last handler (or the deadline); never rejects. */
  readonly done: Promise<Outcome>;
  /**
   * Stops waiting and runs the remaining handlers synchronously, without `onEnd`: the runtime
   * is ending the program now, by itself.
   */
  flush(): void;
  /**
   * Stops waiting for the promise being awaited (nothing is left that could settle it) and goes
   * on with the rest, awaiting them as before.
   */
  skip(): void;
  /**
   * Ends this run where it is, without `onEnd`: a watchdog stopped the handler of an outer run
   * that started it (`runExitFuncs()` in a handler). Its older handlers are the outer run's.
   */
  abandon(): void;
}

/**
 * A decided last act; `undefined` lets the program go on (or end by itself). `last`, on a kill
 * after a run, withdraws this copy's claim to re-raise and says whether it is the last one
 * running for that signal (see company.ts).
 */
export type Act = { exit: number | undefined } | { kill: string; last: (() => boolean) | undefined } | undefined;
