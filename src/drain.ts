// Output written before an end that atexit decides. Node (and Bun) write to a pipe
// asynchronously: what a handler wrote waits in the stream's buffer, and exiting or re-raising
// at once loses it. Runtime-independent: it only reads the shape of the streams it is given.

/** The part of a Node-style writable stream used here, checked by shape before use. */
interface Out {
  write(chunk: string, callback: (error?: unknown) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  writableLength?: number;
  writable?: boolean;
  destroyed?: boolean;
}

/** The longest wait for output, in ms, however long the deadline left (setTimeout's limit). */
const MAX = 2 ** 31 - 1;
/** The least time output gets, even when the deadline has passed (a stuck handler). */
const GRACE = 1_000;

/**
 * The time output may take before an end that atexit decides: what is left of `deadline` for
 * a run begun at `since` (a `performance.now()` time), and at least one second.
 */
export function within(deadline: number, since: number): number {
  return Math.max(GRACE, deadline - (performance.now() - since));
}

/**
 * Resolves once everything written so far to `streams` has been handed to the system, or `ms`
 * have passed (`Infinity`: no limit), whichever comes first. Never rejects, never throws.
 * Each stream is a Node-style writable (waited for by an empty write, whose callback comes
 * after the earlier writes) or a sink whose `flush()` returns a promise while bytes wait.
 * A value that is not a writable stream, a stream with nothing buffered, or one that is
 * closed, destroyed or fails (EPIPE: the reader went away) takes no time; an error it emits
 * while we wait is taken, so it cannot become an uncaught exception at the very end.
 */
export function drainStreams(streams: readonly unknown[], ms: number): Promise<void> {
  const waits = streams.map((stream) => flushed(stream));
  const all = Promise.all(waits.map(([promise]) => promise));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<void>((resolve) => {
    if (ms !== Infinity) timer = setTimeout(resolve, Math.min(Math.max(0, ms), MAX));
  });
  return Promise.race([all, limit]).then(() => {
    clearTimeout(timer);
    for (const [, stop] of waits) stop();
  });
}

/** A promise for one stream's buffer to empty, and a function that stops listening. */
function flushed(stream: unknown): [Promise<void>, () => void] {
  const out = stream as Out;
  const none: [Promise<void>, () => void] = [Promise.resolve(), () => {}];
  try {
    // A sink (Bun's FileSink) that is not an event emitter: flush() returns a promise while
    // bytes are pending, a number when none are.
    const { flush } = stream as { flush?: unknown };
    if (typeof flush === 'function' && typeof out.once !== 'function') {
      return [Promise.resolve(flush.call(stream)).then(() => {}, () => {}), () => {}];
    }
    if (typeof out?.write !== 'function' || typeof out.once !== 'function' || typeof out.removeListener !== 'function') return none;
  } catch {
    return none; // getters that throw: nothing we can wait for
  }
  let done!: () => void;
  const promise = new Promise<void>((resolve) => (done = resolve));
  const onEnd = (): void => done();
  const events = ['error', 'close'];
  const stop = (): void => {
    for (const event of events) {
      try {
        out.removeListener(event, onEnd);
      } catch {
        // a stream we can no longer talk to
      }
    }
  };
  try {
    // Listen even when there is nothing to wait for: a failed write (EPIPE) emits its error
    // a tick later, and with no listener it would end the program as an uncaught error.
    for (const event of events) out.once(event, onEnd);
    if (out.destroyed === true || out.writable === false || !(Number(out.writableLength) > 0)) done();
    // Writes complete in order: the callback of an empty write comes after all earlier ones.
    else out.write('', () => done());
  } catch {
    done();
  }
  return [promise, stop];
}
