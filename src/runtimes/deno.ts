// Deno 2: the web's `beforeunload`/`unload`/`error`/`unhandledrejection` events on the global
// scope, `Deno.addSignalListener`, and Node-style code through Deno's `process`.
// docs/runtimes.md records the Deno behaviour this file relies on, as measured.
import { mark, programListeners } from '../company.ts';
import type { Drains, Host, Restart } from '../contract.ts';
import { whenWritten, shieldStreams } from '../output.ts';
import { exiting, failures, loopDrained, signalled } from '../ending.ts';
import { describe, tracePrefix, write } from '../report.ts';
import { listened, signalsOf } from '../signals.ts';
import { bare, type Shared } from '../state.ts';
import * as nodeStyle from './process.ts';

/** The part of the `Deno` namespace we use, checked by shape before use. */
interface DenoNs {
  exit(code?: number): never;
  exitCode: number;
  pid: number;
  build?: { os?: string };
  addSignalListener(signal: string, handler: () => void): void;
  unrefTimer?(id: number): void;
  removeSignalListener(signal: string, handler: () => void): void;
  kill(pid: number, signal: string): void;
  permissions?: { querySync?(descriptor: { name: string; variable?: string; path?: string }): { state: string } };
  readTextFileSync?(path: string): string;
  mainModule?: string;
  env?: { get(name: string): string | undefined };
}

/** Deno's Node-compatible `process`, when the program also uses it. */
interface NodeProc extends nodeStyle.NodeStyle {
  exit(code?: number): never;
  exitCode?: number;
  emit?(event: string, code: number): unknown;
}

const deno = (): DenoNs | undefined => nodeStyle.shaped('Deno', ['exit', 'addSignalListener', 'removeSignalListener', 'kill']);
/** Deno's own API is enough without it (none, or a hostile or revoked one). */
const proc = (): NodeProc | undefined => nodeStyle.shaped('process', ['exit', 'listenerCount']);

/** Throws `error` on a later turn, as an uncaught error of the program's. */
const rethrow = (error: unknown): unknown =>
  setTimeout(() => {
    throw error;
  });

/** True when Deno has granted a permission; never prompts (a prompt at exit would hang). */
function granted(d: DenoNs | undefined, descriptor: { name: string; variable?: string; path?: string }): boolean {
  try {
    return d?.permissions?.querySync?.(descriptor).state === 'granted';
  } catch {
    return false;
  }
}

/**
 * Asks Deno to go on (`event.preventDefault()`) for us, and tells afterwards whether a later
 * listener asked it too (the program's wish to go on).
 */
function askToGoOn(event: Event): () => boolean {
  let asked = false;
  const real = event.preventDefault;
  try {
    real.call(event);
    const value = function (this: Event): void {
      asked = true;
      real.call(this);
    };
    Object.defineProperty(event, 'preventDefault', bare({ configurable: true, value }));
  } catch {
    // an event we cannot watch: as if no one else asked
  }
  return () => asked;
}

/** Number of listeners a Node-style program added with `process.on(event)`. */
const nodeListeners = (event: string): number => nodeStyle.listeners(proc(), event);

/** The text of /proc/self/`name` (Linux, with read permission for it); undefined where it cannot be read. */
function procFile(d: DenoNs | undefined, name: string): string | undefined {
  const path = `/proc/self/${name}`;
  try {
    return d?.build?.os === 'linux' && granted(d, { name: 'read', path }) ? d.readTextFileSync?.(path) : undefined;
  } catch {
    return undefined; // no /proc after all
  }
}

function host(): Host {
  const d = deno();
  const trace = (): string | undefined =>
    granted(d, { name: 'env', variable: 'NODE_DEBUG' }) ? tracePrefix(d!.env?.get('NODE_DEBUG'), d!.pid) : undefined;
  // Deno's `process.exit` emits 'exit' and then calls `Deno.exit`: replace both, so a
  // handler's `process.exit(n)` neither runs the program's exit listeners early nor exits.
  const holders = (): (DenoNs | NodeProc)[] => [d, proc()].filter((h): h is DenoNs | NodeProc => h !== undefined);
  return nodeStyle.host(trace, holders, 'Deno.exit', (id) => d?.unrefTimer?.(id as number));
}

/** The status the program would end with now. */
function exitCode(): number {
  try {
    const code = Number(deno()?.exitCode ?? 0);
    return Number.isInteger(code) ? code : 0;
  } catch {
    return 0;
  }
}

/**
 * `deno run --watch` (and `deno serve --watch`) restarts in-process: it raises SIGTERM to the
 * program's listeners and waits for it to end (see Restart). Deno tells the program nothing of
 * its flags: the command line is read from /proc (Linux, with read permission for it); elsewhere
 * a restart is taken for a real SIGTERM, whose re-raise then ends the watcher too.
 */
let watcher: Restart | null | undefined; // null: none; undefined: not read yet
function restart(): Restart | undefined {
  if (watcher !== undefined) return watcher ?? undefined;
  watcher = null;
  const cmdline = procFile(deno(), 'cmdline');
  if (cmdline === undefined) return undefined;
  try {
    // Deno's own flags come before the program's path: the argument that names the main module
    // (a flag's value, as in `--config deno.json` or `serve --port 8000`, does not), else the
    // first one after the subcommand that does not start with "-". Watch modes: --watch[=paths],
    // --hmr[=paths] and its older name --watch-hmr; --watch-exclude alone watches nothing.
    const args = cmdline.split('\0').slice(1);
    if (args[0] === 'run' || args[0] === 'serve') args.shift();
    const main = decodeURIComponent(String(deno()!.mainModule).replace(/^.*\//, ''));
    const path = (arg: string): boolean => !arg.startsWith('-') && arg.replace(/^.*[\\/]/, '') === main;
    let at = args.findIndex(path);
    if (at < 0) at = args.findIndex((arg) => !arg.startsWith('-'));
    const own = args.slice(0, at >>> 0);
    if (own.some((arg) => /^--(watch|watch-hmr|hmr)(=|$)/.test(arg))) watcher = { signal: 'SIGTERM', waits: true };
  } catch {
    // a main module that is no URL
  }
  return watcher ?? undefined;
}

export const adapter: Drains = {
  host,
  status: exitCode,
  // Only Node-style process.on(signal) listeners can be seen (Deno cannot tell about others);
  // none without a `process` (programListeners never throws).
  listens: (signal) => programListeners(proc()!, signal, 1) > 0,
  // Deno writes synchronously (measured: docs/runtimes.md): this is for a stream a program replaced.
  afterOutput: (ms, then) => whenWritten(nodeStyle.stdio(proc()), ms, then),
  // Deno hears a signal that came meanwhile within two timer turns (one is not always enough
  // while the main module evaluates).
  later: (fn) => void setTimeout(() => setTimeout(fn, 0), 0),
  // We asked to go on (beforeunload): on the next timer turn, did the program add work (or a later
  // listener ask too)? Counted once our timer is queued, as Deno counts it while it runs (measured).
  added: (fn) => {
    setTimeout(() => fn(nodeStyle.resources(proc()) > before), 0);
    const before = nodeStyle.resources(proc());
  },
  // Through `process.exit` when there is one, so a Node-style program's 'exit' listeners still run.
  exit: (code) => void (proc() ?? deno())?.exit(code),
  // Deno.kill needs --allow-run: not asked for; false without it (or where it cannot be sent).
  kill: (signal) => granted(deno(), { name: 'run' }) && nodeStyle.killSelf(deno(), signal),
  // Measured on Deno 2.9 (Linux): Deno's own signal thread re-raises it, so the program ends
  // inside kill() or before the next timer turn, kill() itself taking up to 65 ms on a busy machine.
  inFlight: () => true,
  // As PID 1 the kernel drops a re-raise, and Deno then crashes (SIGSEGV).
  unsafeKill: () => deno()?.pid === 1,
  // The signals Deno can listen to on this platform.
  signals: () => signalsOf(deno()?.build?.os),
  reserved: () => undefined,
  restart,
  // Under `deno run --watch` Deno itself raises a Ctrl+C's SIGINT to the program a second time.
  relayable: () => restart() !== undefined || nodeStyle.relayable(deno(), (d) => procFile(d, 'stat')),
  shield: () => shieldStreams(nodeStyle.stdio(proc())),
};

export function install(s: Shared): () => void {
  const d = deno();
  // The global scope, with the web's events.
  const t = nodeStyle.shaped<object>('globalThis', ['addEventListener', 'removeEventListener']);
  if (!d || !t) return () => {};
  const signals = listened(s, adapter);

  // The loop drained: there is still time to await, but only if we ask Deno to go on
  // (preventDefault). A listener of the program's may ask the same, to schedule more work: one
  // that ran before ours shows as defaultPrevented; one after ours is heard through askToGoOn().
  // Deno fires this again when the loop drains again, and asking every time would never end:
  // we ask only while something is registered, runs, closes or lingers (ending.ts decides).
  const onBeforeUnload = (event: Event): void => {
    if (event.defaultPrevented || !loopDrained(s, adapter, () => askToGoOn(event))) return;
    // Deno emits a Node-style 'beforeExit' only when no one asked to go on, as we just did: the
    // program's listeners (`on`, `once`) get it from us; `added` sees what they schedule.
    try {
      if (nodeListeners('beforeExit') > 0) proc()?.emit?.('beforeExit', exitCode());
    } catch (error) {
      rethrow(error); // as the program's own error: the 'error' listener has it
    }
  };
  // Deno.exit()/process.exit() from normal code, or the end after beforeunload: synchronous.
  // Microtasks queued from here never run. Also process 'exit', which a node:worker_threads
  // worker gets at its natural end (Deno fires neither beforeunload nor unload there), and
  // which comes before unload on process.exit().
  const onUnload = (code = exitCode()): void => {
    // Read once the listeners return: Deno.exitCode after unload, process.exitCode by Deno's
    // process.exit() (which does not see Deno.exitCode).
    const asked = exiting(s, adapter, { reason: 'exit', code })?.code;
    try {
      if (asked !== undefined) for (const holder of [d, proc()]) if (holder) holder.exitCode = asked;
    } catch {
      // an invalid code: keep the one Deno had
    }
  };
  // An uncaught exception (`error`) or unhandled rejection (`unhandledrejection`): when the
  // listeners return, Deno prints it and ends with 1 (no beforeunload, no unload) unless one
  // called preventDefault or a Node-style `process.on('uncaughtException' | 'unhandledRejection')`
  // listener is there: then it is no ending. ending.ts decides on the next timer turn (failures()).
  const failure = failures(s, adapter);
  const onFailure = (event: Event, error: unknown, promise: boolean): void => {
    if (event.defaultPrevented || nodeListeners('uncaughtException') > 0 || (promise && nodeListeners('unhandledRejection') > 0)) return;
    failure(error, {
      // A timer, not a microtask: Deno runs microtasks between one listener and the next.
      hold: (then) => {
        const handled = askToGoOn(event);
        setTimeout(() => then(handled()), 0);
      },
      // Deno prints it and ends with 1, as it would have; ours lets it pass (failures()).
      raise: () => void (promise ? Promise.reject(error) : rethrow(error)),
      // A handler asked for a status: Deno would not print the error when we exit, so print it
      // ourselves, as Deno would.
      end: (code) => {
        write(`error: Uncaught ${promise ? '(in promise) ' : ''}${describe(error)}`);
        d.exit(code);
      },
    });
  };
  const off = [
    nodeStyle.listen(t, 'addEventListener', 'removeEventListener', [
      ['beforeunload', onBeforeUnload],
      ['unload', () => onUnload()],
      ['error', (event: Event) => onFailure(event, (event as ErrorEvent).error, false)],
      ['unhandledrejection', (event: Event) => onFailure(event, (event as PromiseRejectionEvent).reason, true)],
    ]),
    // Node-style libraries (signal-exit) count process.on(signal) listeners to decide whether
    // they are alone; they cannot see Deno.addSignalListener. A marked listener that does nothing
    // makes us seen, so they wait for our re-raise, as on Node.
    nodeStyle.listen(proc(), 'on', 'removeListener', [
      ['exit', (code: number) => onUnload(Number(code) | 0)],
      ...signals.map((signal) => [signal, mark(() => {})] as const),
    ]),
    nodeStyle.listen(d, 'addSignalListener', 'removeSignalListener', signals.map((signal) => [signal, () => signalled(s, adapter, signal)] as const)),
  ];
  return () => off.forEach((unlisten) => unlisten());
}
