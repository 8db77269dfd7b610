// A watchdog for handlers that never return. `node:vm` runs a stretch of handler calls under a
// native timer that stops JavaScript which spins (no worker; a fraction of a millisecond a
// stretch). Loaded at the first watched run, never at import.
//
// Only the timer: `breakOnSigint` is never used. Node's SIGINT trap takes every SIGINT listener
// off for the stretch (closing the signal handle drops a SIGINT not yet read) and puts back a
// handler that dies at once between the trap's end and the listeners' return; a SIGINT that
// comes as the trap stops is recorded and then ignored (src/node_watchdog.cc, lib/vm.js). Any of
// those loses or misattributes a Ctrl+C that arrives at the edge of a stretch.
import type { Stop } from '../contract.ts';

interface Script {
  runInThisContext(options: { timeout?: number | undefined }): unknown;
}

/** Where the script finds the stretch to run: the vm cannot be handed a function. */
const KEY = Symbol.for('atexit.watched');
let script: Script | null | undefined; // null: no node:vm here (a browser, Node before 20.16)

/** Whether stretches can be watched here; loads `node:vm` the first time. */
export function watchable(): boolean {
  if (script === undefined) {
    script = null;
    try {
      const p = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
      const vm = p?.getBuiltinModule?.('node:vm') as { Script?: new (code: string) => Script } | undefined;
      if (typeof vm?.Script === 'function') script = new vm.Script('globalThis[Symbol.for("atexit.watched")]()');
    } catch {
      // a runtime without it, or a hostile `process`
    }
  }
  return script !== null;
}

/**
 * Runs `body`, stopped after `ms` (never for Infinity): then returns why. The termination skips
 * every `finally` inside `body`; the caller's own run after it.
 */
export function watched<T>(body: () => T, ms: number): T | Stop {
  if (ms === Infinity || !watchable()) return body();
  const g = globalThis as unknown as Record<symbol, unknown>;
  let started = false;
  try {
    g[KEY] = () => {
      started = true;
      return body();
    };
  } catch {
    return body(); // a frozen global
  }
  try {
    return script!.runInThisContext({ timeout: Math.max(1, Math.ceil(ms)) }) as T;
  } catch (error) {
    // The vm failed before the stretch began: run it unwatched.
    if (!started) return body();
    if ((error as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'deadline';
    throw error;
  } finally {
    delete g[KEY];
  }
}
