// What the Node and Deno adapters share: the reads of a Node-style `process` (Node's, Bun's, and
// Deno's when a program uses it), the Host they lend a run, and adding and removing listeners.
// Every read here never throws. The browser adapter does not import this file.
import type { Listeners } from '../company.ts';
import type { Host, Stop } from '../contract.ts';
import { leadsGroup } from '../signals.ts';
import { type Exits, guarded } from './exits.ts';

/** The part of a Node-style `process` read here, each member checked before use. */
export interface NodeStyle extends Listeners {
  getActiveResourcesInfo?(): string[];
}

/**
 * `globalThis[name]` (`process`, `Deno`, `globalThis` itself) when each of `methods` is a
 * function on it; else undefined (none, or a hostile one).
 */
export function shaped<T>(name: string, methods: readonly string[]): T | undefined {
  try {
    const o = (globalThis as Record<string, unknown>)[name] as Record<string, unknown> | null | undefined;
    return o && methods.every((method) => typeof o[method] === 'function') ? (o as T) : undefined;
  } catch {
    // a hostile global: none
  }
}

/**
 * `p.stdout` and `p.stderr`, each passed through `each` (Bun's sink) when given; none where
 * reading them throws. For Adapter.afterOutput (whenWritten) and Adapter.shield (shieldStreams).
 */
export function stdio(p: object | undefined, each?: ((stream: object) => unknown) | false): unknown[] {
  let streams: unknown[] = [];
  try {
    streams = [(p as { stdout?: unknown }).stdout, (p as { stderr?: unknown }).stderr];
    if (each) streams = streams.map(each as (stream: unknown) => unknown);
  } catch {
    // no process, or a getter that throws (a stream `each` cannot read stays as it is)
  }
  return streams;
}

/** What keeps `p`'s loop going, counted (none where it cannot tell), to see whether the program added to it. */
export function resources(p: NodeStyle | undefined): number {
  try {
    return p?.getActiveResourcesInfo?.().length ?? 0;
  } catch {
    return 0;
  }
}

/** How many listeners `p` has for `event`; none where it cannot tell. */
export function listeners(p: Listeners | undefined, event: string): number {
  try {
    return p?.listenerCount(event) ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Adapter.relayable for the process `self` (`process`, `Deno`): `stat(self)` reads /proc/self/stat
 * (Linux's); true unless that shows the program leads its own process group, and true where it
 * cannot be read (`stat` gives nothing or throws).
 */
export function relayable<P extends { pid: number }>(self: P | undefined, stat: (self: P) => string | undefined): boolean {
  try {
    return !leadsGroup(stat(self!)!, self!.pid);
    /* c8 ignore next 3: no /proc (macOS, Windows) */
  } catch {
    return true;
  }
}

/**
 * The Host an adapter lends a run: `trace()` reads NODE_DEBUG's prefix (off where it throws);
 * `guard` and `watch` turn the `exit` of each of `holders()` (read at each stretch) into an exit
 * request, `who` naming it in an error; `unref` keeps `timer`'s timers from holding the program.
 */
export function host(trace: () => string | undefined, holders: () => readonly Exits[], who: string, unref: (id: unknown) => void): Host {
  let prefix: string | undefined;
  try {
    prefix = trace();
    /* c8 ignore next 3: Deno's process.env without --allow-env */
  } catch {
    // no env access after all
  }
  const watch = <T>(body: (exits: readonly unknown[]) => T, ms: number): T | Stop => guarded(holders(), who, body, ms);
  const timer = (fn: () => void, ms: number): (() => void) => {
    const id = setTimeout(fn, ms);
    try {
      unref(id);
      /* c8 ignore next 3: Node's unref() does not throw */
    } catch {
      // a timer id the runtime refuses (fake timers): it keeps the program alive
    }
    return () => clearTimeout(id);
  };
  return { trace: prefix, timer, guard: (body) => watch(body, Infinity) as never, watch };
}

/** Adapter.kill for `self` (`process`, `Deno`): sends `signal` to its own pid; false where it cannot. */
export function killSelf(self: { pid: number; kill(pid: number, signal: string): unknown } | undefined, signal: string): boolean {
  try {
    self!.kill(self!.pid, signal);
    return true;
    /* c8 ignore next 3: Windows */
  } catch {
    return false; // Windows cannot send SIGHUP to itself
  }
}

/**
 * Adds each of `pairs` (an event and its listener) with `target`'s method `add`, going on past
 * one it refuses (or no target); returns what takes them off again with `remove`.
 */
export function listen(target: unknown, add: string, remove: string, pairs: readonly (readonly [string, unknown])[]): () => void {
  const each = (method: string): void => {
    for (const [event, listener] of pairs) {
      try {
        (target as Record<string, (event: string, listener: unknown) => unknown>)[method]!(event, listener);
      } catch {
        // a runtime without that event or signal; one already gone
      }
    }
  };
  each(add);
  return () => each(remove);
}
