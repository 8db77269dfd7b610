// use(server): a server shut down for real at exit. Recognised by shape, never by
// importing node:http (this module must cost nothing to a program without a server, and run
// where node:http does not exist):
//   - node:http / node:https (and Express, Fastify's `.server`), on Node, Bun and Deno;
//   - node:http2 (plain and secure, with its HTTP/1 fallback);
//   - Deno.serve() (`shutdown()`) and Bun.serve() (`stop()`).
// For node:http, what server.close() and [Symbol.asyncDispose] leave undone is done here: a
// response written after the ending began says `Connection: close`, a connection that becomes
// idle then is closed at once (not after keepAliveTimeout), and what is left at the deadline is
// destroyed. The listener that makes this possible is added by use(), never at import.
import type { Handler } from './registry.ts';
import { shared } from './state.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- shapes of three runtimes' servers */
type Any = any;

/**
 * The handler that shuts `server` down at exit, if `server` is one of the servers above;
 * undefined for anything else (use() then calls its dispose method as for any resource).
 */
export function closer(server: Any): Handler | undefined {
  const has = (key: string): boolean => typeof server[key] === 'function';
  try {
    if (has('listen') && has('prependListener') && has('close') && (has('closeIdleConnections') || has('updateSettings'))) {
      return nodeServer(server, has('updateSettings') ? 'http2' : has('setSecureContext') ? 'https' : 'http');
    }
    if (has('shutdown') && server.finished) {
      // Deno.serve(): shutdown() stops listening, closes the idle connections and resolves once
      // the requests in flight are answered; it has no way to cut them at the deadline.
      return named(() => server.shutdown(), () => `Deno.serve ${where(server.addr)}`);
    }
    if (has('stop') && has('reload') && has('upgrade')) {
      // Bun.serve(): stop() stops listening and resolves once the requests in flight are
      // answered; stop(true) cuts what is left at the deadline.
      return named(() => {
        atDeadline(() => server.stop(true));
        return server.stop();
      }, () => `Bun.serve ${where(server.address)}`);
    }
  } catch {
    // a getter that throws, a revoked Proxy: not a server we know
  }
  return undefined;
}

/** `close`, whose name (read by reports and the deadline's line) names the server. */
function named(close: () => unknown, name: () => string): Handler {
  let known: string | undefined;
  const handler = (): unknown => {
    known = name(); // before closing: a closed server forgets its address
    return close();
  };
  Object.defineProperty(handler, 'name', { get: () => (known ??= name()) });
  return handler;
}

/** `host:port` of an address object (`[::1]:80` for IPv6), or the path of a socket; `(not listening)` without one. */
function where(address: Any): string {
  try {
    if (typeof address === 'string') return address;
    const host: string = address.address ?? address.hostname;
    return `${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  } catch {
    return '(not listening)';
  }
}

const later = (fn: () => void): unknown => setTimeout(fn, 0);

/** Calls `fn` when the run now going on ends, which is at its deadline if this server is still closing then. */
function atDeadline(fn: () => void): void {
  shared().run?.done.then(() => {
    try {
      fn();
    } catch {
      // destroyed already
    }
  });
}

/**
 * node:http, node:https and node:http2 servers (HTTP/1 through the fallback too). From use() on,
 * the responses not yet ended are known; at exit each one not yet begun gets `Connection: close`,
 * its connection closes when it is sent, and the connections left idle are closed.
 */
function nodeServer(server: Any, kind: string): Handler {
  let ending = false;
  /** Responses not yet closed, each with its connection. */
  const open = new Map<Any, Any>();
  /** HTTP/2 sessions, told to go (GOAWAY) at exit. */
  const sessions = new Set<Any>();

  /** Asks the client to close the connection after this response, if its head is not sent yet. */
  const tell = (res: Any): void => {
    if (res.headersSent || res.stream) return; // too late / HTTP/2: GOAWAY says it
    res.shouldKeepAlive = false;
    res.setHeader('Connection', 'close');
  };
  /** After a response during the ending: its connection closes if no other response is owed on it. */
  const idle = (socket: Any): void => {
    for (const other of open.values()) if (other === socket) return;
    socket?.destroy();
  };
  // First, so that a response is marked before the application's listener writes it.
  const on = (event: string, listener: (...args: Any[]) => void): void => server.prependListener(event, listener);
  // One listener for every response (no closure per request): `this` is the response.
  function closed(this: Any): void {
    const socket = open.get(this);
    open.delete(this);
    if (ending && !this.stream) idle(socket);
  }
  on('request', (req: Any, res: Any) => {
    open.set(res, req.socket);
    if (ending) tell(res);
    res.on('close', closed);
  });
  if (kind === 'http2') {
    on('session', (session: Any) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      if (ending) session.close();
    });
  }

  return named(
    () => {
      ending = true;
      for (const res of open.keys()) tell(res);
      for (const session of sessions) session.close(); // GOAWAY; closes after its last stream
      atDeadline(() => {
        for (const socket of open.values()) socket?.destroy();
        for (const session of sessions) session.destroy();
        server.closeAllConnections?.();
      });
      // Stops listening now, so that new connections are refused, and only then closes the idle
      // ones: server.close() does it the other way round, and a client that sees its connection
      // closed could still connect (Node 20 and 26 accept it, then reset it). close() calls back
      // once every connection is closed (with an error we ignore if it was not listening).
      // The idle ones close after the event loop has polled its sockets once more: a request
      // that came on one while the handlers ran is then read, and answered with
      // `Connection: close`, instead of reset unread.
      return new Promise<void>((resolve) => {
        server.closeIdleConnections = () => {};
        try {
          server.close(() => resolve());
        } finally {
          delete server.closeIdleConnections;
        }
        later(() => later(() => server.closeIdleConnections?.()));
      });
    },
    () => `${kind} server ${where(server.address())}`,
  );
}
