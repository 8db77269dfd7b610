// A watchdog for handlers that never return. `node:vm` runs a stretch of handler calls under a
// native timer, and where the runtime honours `breakOnSigint` a SIGINT trap, that stop
// JavaScript which spins (no worker; a fraction of a millisecond a stretch). Loaded at the first
// watched run, never at import.
import type { Stop } from '../run.ts';

interface Script {
  runInThisContext(options: { timeout?: number | undefined; breakOnSigint?: boolean }): unknown;
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
 * Runs `body`, stopped after `ms` (not for Infinity) or at a SIGINT when `sigint`: then returns
 * why. The termination skips every `finally` inside `body`; the caller's own run after it.
 */
export function watched<T>(body: () => T, ms: number, sigint: boolean): T | Stop {
  if ((ms === Infinity && !sigint) || !watchable()) return body();
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
    return script!.runInThisContext({ timeout: ms === Infinity ? undefined : Math.max(1, Math.ceil(ms)), breakOnSigint: sigint }) as T;
  } catch (error) {
    // The vm failed before the stretch began (its SIGINT trap reads process.rawListeners, which a
    // program may have broken): run it unwatched.
    if (!started) return body();
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'deadline';
    if (code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') return 'SIGINT';
    throw error;
  } finally {
    delete g[KEY];
  }
}
