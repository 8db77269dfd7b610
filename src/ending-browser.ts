// How a page's program ends: the browser build's ending policy, in place of ending.ts (see
// scripts/build.js). A page gets no signals, has no exit status and no output to wait for, and
// cannot end itself: a run awaits its handlers or cannot (`pagehide`), and after it the page's
// listener goes once nothing is registered.
import type { Adapter, Ending, Run } from './contract.ts';
import { ExitRequest } from './exit.ts';
import { endingOf, start } from './run.ts';
import { release, type Shared } from './state.ts';

/** Why the page is ending, as it will really end: a later exit request changes the code. */
export function describeEnding(s: Shared, a: Adapter): Ending | undefined {
  return s.run && endingOf(s.run, () => a.status());
}

/** `atexit.exit(code)`: a run that awaits; the page then stays as it is. */
export function request(s: Shared, a: Adapter, code: number | undefined): void {
  // Asked again while handlers run (inside one, or from other code): the last request wins.
  if (s.run) s.run.outcome.exit = new ExitRequest(code);
  else begin(s, a, { reason: 'exit', code: code ?? a.status() });
}

/** `runExitFuncs()`: a run that awaits. */
export const manual = (s: Shared, a: Adapter): Run => begin(s, a, { reason: 'manual' });

const begin = (s: Shared, a: Adapter, ending: Ending): Run => start(s, a.host(), ending, true, () => release(s));

/** The page goes away now (`pagehide`): what is left runs without waiting. */
export function exiting(s: Shared, a: Adapter, ending: Ending): undefined {
  if (s.run) s.run.flush();
  else start(s, a.host(), ending, false);
  release(s);
  return undefined;
}
