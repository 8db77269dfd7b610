// An exit request: what a handler's `process.exit(n)` (or `atexit.exit(n)` inside a run) becomes
// while handlers run, and the check every exit code passes first.
import { describeValue } from './report.ts';

/**
 * Thrown in place of the runtime's exit function while a handler runs: Python's
 * `SystemExit`. The handler stops there; the run goes on; the program then ends with `code`.
 */
export class ExitRequest {
  constructor(readonly code: number | undefined) {}
}

/** `instanceof` that survives a revoked Proxy thrown by a handler. */
export const isExit = (error: unknown): error is ExitRequest => {
  try {
    return error instanceof ExitRequest;
  } catch {
    return false;
  }
};

/**
 * Checks an exit status the way the runtimes do, before anything happens: an integer (a string
 * of digits for `process.exit`, as Node takes it), or nothing for "the status it would have".
 */
export function checkCode(code: unknown, who: string, strings = false): number | undefined {
  if (code === undefined || (strings && code === null)) return undefined;
  const value = strings && typeof code === 'string' && /^\s*-?\d+\s*$/.test(code) ? Number(code) : code;
  if (typeof value !== 'number') throw new TypeError(`${who}: the exit code must be an integer, got ${describeValue(code)}`);
  if (!Number.isSafeInteger(value)) throw new RangeError(`${who}: the exit code must be an integer, got ${describeValue(value)}`);
  return value;
}
