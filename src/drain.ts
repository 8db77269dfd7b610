// Output written before an end that atexit decides. Node (and Bun) write to a pipe
// asynchronously: what a handler wrote waits in a buffer, and exiting or re-raising at once
// loses it. Runtime-independent: it only reads the shape of what it is given.

/** The longest timer setTimeout() takes (2^31 − 1 ms). */
const MAX = 2 ** 31 - 1;

/**
 * The time output may take before an end that atexit decides: what is left of `deadline` for
 * a run begun at `since` (a `performance.now()` time), and at least one second.
 */
export function within(deadline: number, since: number): number {
  return Math.max(1_000, deadline - (performance.now() - since));
}

/**
 * Resolves once everything written so far to `streams` has been handed to the system, or `ms`
 * have passed (`Infinity`: no limit). Never rejects, never throws. Each entry is a Node-style
 * writable (waited for by an empty write, whose callback comes after every earlier write), or
 * a sink whose `flush()` returns a promise while bytes wait (Bun's FileSink); anything else,
 * a stream with nothing buffered, or one that fails takes no time. The `error` a stream emits
 * (EPIPE: the reader went away) is taken: at the very end it would be an uncaught exception.
 */
export function drainStreams(streams: readonly unknown[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<void>((resolve) => {
    if (ms !== Infinity) timer = setTimeout(resolve, Math.min(ms, MAX));
  });
  return Promise.race([Promise.all(streams.map(flushed)), limit]).then(() => clearTimeout(timer));
}

function flushed(stream: unknown): Promise<unknown> | undefined {
  const out = stream as { once?: unknown; flush?(): unknown; writableLength?: number; write(chunk: string, done: () => void): void };
  try {
    if (typeof out.once !== 'function') return typeof out.flush === 'function' ? Promise.resolve(out.flush()).catch(() => {}) : undefined;
    const emitter = out as unknown as { once(event: string, listener: () => void): void };
    return new Promise<void>((resolve) => {
      // Listen even when nothing waits: a failed write emits its error a tick later.
      emitter.once('error', resolve);
      if (Number(out.writableLength) > 0) out.write('', resolve);
      else resolve();
    }).catch(() => {});
  } catch {
    return undefined; // a value whose getters throw: nothing to wait for
  }
}
