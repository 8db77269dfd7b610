// Output written before an end that atexit decides. Node (and Bun) write to a pipe
// asynchronously: what a handler wrote waits in a buffer, and exiting or re-raising at once
// loses it. Runtime-independent: it only reads the shape of what it is given.

/** The longest delay setTimeout() takes (2^31 − 1 ms, about 24.8 days); past it, it fires at once. */
export const MAX_DELAY = 2 ** 31 - 1;

/**
 * Calls `then` once everything written so far to `streams` has been handed to the system, or
 * after `ms` (`Infinity`: no limit); at once, synchronously, when nothing waits. `then` is
 * called exactly once; nothing else here throws. Each entry is a Node-style writable (waited
 * for by an empty write, whose callback comes after every earlier write), or a sink whose
 * `flush()` returns a promise while bytes wait (Bun's FileSink); anything else, and a stream
 * that fails, takes no time. While waiting, the `error` a stream emits (EPIPE: the reader went
 * away) is taken: at the very end it would be an uncaught exception.
 */
export function whenWritten(streams: readonly unknown[], ms: number, then: () => void): void {
  // Every stream, also one with nothing waiting: a failed write emits its error a tick later.
  shieldStreams(streams);
  const waits = streams.map(flushed).filter((wait) => wait !== undefined);
  if (waits.length === 0) return then();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    clearTimeout(timer);
    then();
  };
  if (ms !== Infinity) timer = setTimeout(once, Math.min(ms, MAX_DELAY));
  void Promise.all(waits).then(once);
}

/** Streams whose next error is taken already: one listener each, however many ends are drained. */
const shielded = new WeakSet<object>();

/**
 * Takes the next `error` each of `streams` emits (EPIPE: the reader went away), which would
 * otherwise be an uncaught exception; a stream emits at most one. Never throws.
 */
export function shieldStreams(streams: readonly unknown[]): void {
  for (const stream of streams) {
    try {
      if (typeof stream !== 'object' || stream === null || shielded.has(stream)) continue;
      (stream as { once(event: string, listener: () => void): void }).once('error', () => {});
      shielded.add(stream);
    } catch {
      // not an emitter, or a hostile one
    }
  }
}

/** A promise for what `stream` still holds, or undefined when it holds nothing. */
function flushed(stream: unknown): Promise<unknown> | undefined {
  const out = stream as { once?: unknown; flush?(): unknown; writableLength?: number; write(chunk: string, done: () => void): void };
  try {
    if (typeof out.once !== 'function') {
      const pending = typeof out.flush === 'function' ? out.flush() : undefined;
      return typeof (pending as Promise<unknown> | undefined)?.then === 'function' ? Promise.resolve(pending).catch(() => {}) : undefined;
    }
    if (!(Number(out.writableLength) > 0)) return undefined;
    let done!: () => void;
    const promise = new Promise<void>((resolve) => (done = resolve));
    (out as unknown as { once(event: string, listener: () => void): void }).once('error', done);
    out.write('', done);
    return promise;
  } catch {
    return undefined; // a value whose getters or methods throw: nothing to wait for
  }
}
