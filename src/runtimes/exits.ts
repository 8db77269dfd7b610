// The runtime's exit functions while handlers run: `process.exit` (Node, Bun, Deno's `process`)
// and `Deno.exit` throw an `ExitRequest` instead, so that a handler's `process.exit(n)` is a
// request the run takes (Python's SystemExit), not the end of the program in the middle of it.
import type { Stop } from '../contract.ts';
import { checkCode, ExitRequest } from '../exit.ts';
import { watched } from './watchdog.ts';

/** Something with an exit function: `process`, the `Deno` namespace. */
export interface Exits {
  exit(code?: number): never;
}

/** The real exit functions while handlers run (their stand-ins are in place). */
let guarding: unknown[] | undefined;

/**
 * Runs `body` watched (watchdog.ts: stopped after `ms`) with each
 * holder's `exit` replaced by a stand-in; `body` gets the real ones. `who` names the exit function
 * in the error a code the runtime would refuse becomes. The exits are put back outside the
 * watched stretch: a stopped one skips its `finally`.
 */
export function guarded<T>(holders: readonly Exits[], who: string, body: (exits: readonly unknown[]) => T, ms: number): T | Stop {
  if (guarding) return body(guarding); // a run inside a handler: already guarded and watched
  // A code the runtime would refuse is the handler's error (reported), not an exit request.
  const request = (code?: number): never => {
    throw new ExitRequest(checkCode(code, who, true));
  };
  const exits = (guarding = holders.map((h) => h.exit));
  let replaced = 0;
  try {
    for (const h of holders) {
      h.exit = request;
      replaced++;
    }
  } catch {
    // a frozen holder: those replaced are restored below; its own exits are not caught
  }
  try {
    return watched(() => body(exits), ms);
  } finally {
    guarding = undefined;
    for (let i = 0; i < replaced; i++) holders[i]!.exit = exits[i] as Exits['exit'];
  }
}
