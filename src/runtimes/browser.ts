// Browsers (and any other JavaScript host without `process` or `Deno`): the page's end is a
// `pagehide` that is not persisted (the page is not kept in the back/forward cache). Never
// `beforeunload` (it blocks the back/forward cache and is not fired on mobile) nor `unload`
// (deprecated, and not fired when a mobile browser discards a page).
// Nothing here touches `process` or `Deno`.
import type { Adapter, Host } from '../contract.ts';
import { exiting } from '../ending.ts';
import type { Shared } from '../state.ts';

interface Target {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

function host(): Host {
  // A page has no exit function to turn into a SystemExit.
  return { guard: (body) => body([]) };
}

/** A page has no exit status. */
function exitCode(): number {
  return 0;
}

/**
 * A page cannot end itself: after `atexit.exit()` has run (and awaited) the handlers, the page
 * stays as it is and the returned promise never settles. The code is ignored.
 */
function end(_code: number | undefined): void {}

export const adapter: Adapter = {
  host,
  status: exitCode,
  listens: () => false, // a page gets no signals
  afterOutput: (_ms, then) => then(), // a console has nothing to wait for
  later: (fn) => void setTimeout(fn, 0),
  exit: end,
  kill: () => false,
  inFlight: () => false,
  unsafeKill: () => false,
  relayable: () => false,
  restart: () => undefined,
  // A page gets no signals (the browser build's src/signals-browser.ts keeps a configured list unused).
  signals: () => ({}),
  reserved: () => undefined,
  shield: () => {},
};

export function install(s: Shared): () => void {
  const g = globalThis as unknown as Partial<Target>;
  if (typeof g.addEventListener !== 'function' || typeof g.removeEventListener !== 'function') return () => {};
  const target = g as Target;
  // The page is going away for good: run synchronously, nothing can be awaited here (a
  // returned promise gets the one-line notice). A persisted page may come back: keep them.
  const onPageHide = (event: Event): void => {
    if ((event as PageTransitionEvent).persisted) return;
    exiting(s, adapter, { reason: 'pagehide' }); // a run still awaiting ends here
  };
  target.addEventListener('pagehide', onPageHide);
  return () => target.removeEventListener('pagehide', onPageHide);
}
