// Issue 25: use(server) shuts a server down for real at exit. Each test runs a server in a child
// process (test/fixtures/server-http.mjs) and talks to it over real sockets on 127.0.0.1. Nothing
// here is timed: each step waits for what the server prints, and "at once" means before a
// keepAliveTimeout of ten minutes and before the client did anything.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { command, runtime } from './harness.js';
import { missing, where } from '../scripts/runtimes.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Starts the fixture; `lines` resolves the next stdout line matching a pattern; `end` with how it ended. */
function start(mode, { stdin = 'pipe', line: cmd, env = {} } = {}) {
  const [file, argv] = cmd ?? command(fileURLToPath(new URL('fixtures/server-http.mjs', import.meta.url)), [mode]);
  const child = spawn(file, argv, { cwd: root, env: { ...process.env, NODE_DEBUG: '', ...env }, stdio: [stdin, 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const wanted = [];
  const check = () => {
    for (const want of [...wanted]) {
      const line = stdout.split('\n').slice(0, -1).filter((l) => want.pattern.test(l))[want.nth - 1];
      if (line !== undefined) {
        wanted.splice(wanted.indexOf(want), 1);
        want.resolve(line);
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const end = new Promise((resolve) => child.on('close', (status, signal) => {
    clearTimeout(timer);
    events.push('exit');
    resolve({ status, signal, stdout, stderr });
  }));
  const events = [];
  /** The `nth` line matching `pattern`, once printed. */
  const line = (pattern, nth = 1) => new Promise((resolve) => {
    wanted.push({ pattern, resolve, nth });
    check();
  });
  /** Sends SIGTERM and resolves once the app says its ending began. */
  const terminate = () => {
    child.kill('SIGTERM');
    return line(/^ENDING$/);
  };
  /** Lets the app answer the requests it holds (recorded as 'go' among the events). */
  const go = () => {
    events.push('go');
    child.stdin.write('go\n');
  };
  return { child, line, end, events, terminate, go };
}

/** A raw HTTP/1.1 client on one keep-alive connection: what it got, and when the server closed it. */
function client(port, events, name, { secure = false } = {}) {
  const socket = secure ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }) : connect(port, '127.0.0.1');
  let got = '';
  const closed = new Promise((resolve) => socket.on('close', () => {
    events.push(`${name} closed`);
    resolve(got);
  }));
  socket.setEncoding('utf8').on('data', (chunk) => (got += chunk));
  socket.on('error', () => {});
  return {
    send: (path, written) => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, written),
    write: (text) => socket.write(text),
    received: () => got,
    /** Resolves once `count` complete responses (bodies of known length or chunked) are in. */
    responses: (count) => new Promise((resolve) => {
      const poll = () => (complete(got) >= count ? resolve(got) : socket.once('data', () => setImmediate(poll)));
      poll();
    }),
    closed,
  };
}
const complete = (text) => text.split('HTTP/1.1 ').slice(1).filter((r) => /\r\n\r\n/.test(r) && (!/transfer-encoding: chunked/i.test(r) || r.endsWith('0\r\n\r\n'))).length;

const refused = (port) => new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1');
  socket.on('connect', () => {
    socket.destroy();
    resolve('connected');
  });
  socket.on('error', (error) => resolve(error.code));
});

/** A new connection and a request on it: how it ended if no response came ('closed' for a plain close). */
const unserved = (port) => new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1', () => socket.write('GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
  let got = '';
  socket.setEncoding('utf8').on('data', (chunk) => (got += chunk));
  socket.on('error', (error) => resolve(error.code));
  socket.on('close', () => resolve(got || 'closed'));
});

for (const mode of ['http', 'express', 'fastify']) {
  test(`[${mode}] SIGTERM: the requests in flight are answered with Connection: close, idle keep-alive connections close at once, new ones are refused, the process ends after the last answer`, async () => {
    const server = start(mode);
    const port = Number((await server.line(/^PORT /)).slice(5));
    const { events } = server;
    // idle: one request answered (keep-alive), then nothing
    const idle = client(port, events, 'idle');
    idle.send('/fast');
    await idle.responses(1);
    assert.match(idle.received(), /^HTTP\/1\.1 200 .*\r\n(?![^]*connection: close)/is);
    // slow: its head not written when the ending begins; stream: head and part of the body written
    const slow = client(port, events, 'slow');
    const stream = client(port, events, 'stream');
    // half: a request whose head is half read when the ending begins, the rest coming after
    const half = client(port, events, 'half');
    half.write('GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    slow.send('/slow');
    await server.line(/^READY$/);
    stream.send('/stream');
    await server.line(/^READY$/, 2);
    await server.terminate();
    assert.equal(await refused(port), 'ECONNREFUSED');
    await idle.closed; // before the client does anything more: closed at once
    half.write('\r\n');
    assert.match(await half.closed, /^HTTP\/1\.1 200 [^]*\r\nconnection: close\r\n[^]*fast$/i);
    server.go();
    const slowGot = await slow.closed;
    const streamGot = await stream.closed;
    const end = await server.end;
    assert.match(slowGot, /^HTTP\/1\.1 200 [^]*\r\nconnection: close\r\n[^]*\/slow answered$/i);
    assert.match(streamGot, /^HTTP\/1\.1 200 [^]*streamed [^]*\/stream answered[^]*0\r\n\r\n$/i);
    assert.deepEqual(events.slice(0, 3), ['idle closed', 'half closed', 'go']);
    assert.equal(events.at(-1), 'exit');
    assert.deepEqual([end.status, end.signal, end.stderr], [null, 'SIGTERM', '']);
  });
}

test('[http2] SIGTERM: every session gets GOAWAY, an idle one closes at once, the stream in flight is answered, new connections are refused, the process ends after the last answer', async () => {
  const server = start('h2');
  const port = Number((await server.line(/^PORT /)).slice(5));
  const { events } = server;
  const session = (name) => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.on('error', () => {});
    s.on('goaway', () => events.push(`${name} goaway`));
    return { s, closed: new Promise((resolve) => s.on('close', () => resolve(events.push(`${name} closed`)))) };
  };
  const get = (s, path) => new Promise((resolve) => {
    const stream = s.request({ ':path': path });
    let body = '';
    stream.setEncoding('utf8').on('data', (chunk) => (body += chunk));
    stream.on('response', (headers) => (body += `${headers[':status']} `));
    stream.on('close', () => resolve(body));
    stream.on('error', () => {});
  });
  const idle = session('idle');
  assert.equal(await get(idle.s, '/fast'), '200 fast');
  const busy = session('busy');
  const answer = get(busy.s, '/slow');
  await server.line(/^READY$/);
  await server.terminate();
  assert.equal(await refused(port), 'ECONNREFUSED');
  await idle.closed;
  server.go();
  assert.equal(await answer, '200 /slow answered');
  await busy.closed;
  const end = await server.end;
  // (Node 26's own close() sends a second GOAWAY.)
  const before = events.slice(0, events.indexOf('go'));
  assert.deepEqual([...new Set(before)].sort(), ['busy goaway', 'idle closed', 'idle goaway']);
  assert.deepEqual(events.slice(before.length), ['go', 'busy closed', 'exit']);
  assert.deepEqual([end.status, end.signal, end.stderr], [null, 'SIGTERM', '']);
});

// Bun's node:http close() closes the idle connections itself, at once: there such a request is reset
// unread (docs/servers.md).
// TLS: a key and a self-signed certificate made by openssl for these tests.
let tls;
try {
  const dir = mkdtempSync(join(tmpdir(), 'server-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  tls = { env: { TLS_KEY: key, TLS_CERT: cert }, dir };
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
} catch {
  tls = undefined;
}

for (const mode of ['https', 'h2s']) {
  test(`[${mode}] SIGTERM over TLS${mode === 'h2s' ? ' (HTTP/2 server, HTTP/1.1 client through allowHTTP1; an HTTP/2 session gets GOAWAY)' : ''}: the request in flight is answered with Connection: close, the idle connection closes at once, the process ends after the answer`, { skip: !tls && 'openssl is not installed' }, async () => {
    const server = start(mode, { env: tls.env });
    const port = Number((await server.line(/^PORT /)).slice(5));
    const { events } = server;
    const idle = client(port, events, 'idle', { secure: true });
    idle.send('/fast');
    await idle.responses(1);
    let session;
    if (mode === 'h2s') {
      session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
      session.on('error', () => {});
      session.on('goaway', () => events.push('h2 goaway'));
      session.on('close', () => events.push('h2 closed'));
      await new Promise((resolve) => session.once('connect', resolve));
    }
    const slow = client(port, events, 'slow', { secure: true });
    slow.send('/slow');
    await server.line(/^READY$/);
    await server.terminate();
    assert.equal(await refused(port), 'ECONNREFUSED');
    await idle.closed;
    server.go();
    assert.match(await slow.closed, /^HTTP\/1\.1 200 [^]*\r\nconnection: close\r\n[^]*\/slow answered$/i);
    const end = await server.end;
    const before = events.slice(0, events.indexOf('go'));
    assert.deepEqual([...new Set(before)].sort(), mode === 'h2s' ? ['h2 closed', 'h2 goaway', 'idle closed'] : ['idle closed']);
    assert.deepEqual(events.slice(before.length), ['go', 'slow closed', 'exit']);
    assert.deepEqual([end.status, end.signal, end.stderr], [null, 'SIGTERM', '']);
  });
}

test('a request that reached an idle keep-alive connection while the handlers ran is read and answered with Connection: close, not reset', { skip: runtime === 'bun' && "Bun's close() closes idle connections at once" }, async () => {
  const server = start('unread');
  const port = Number((await server.line(/^PORT /)).slice(5));
  const idle = client(port, server.events, 'idle');
  idle.send('/fast');
  await idle.responses(1);
  server.child.kill('SIGTERM');
  await server.line(/^BLOCKED$/);
  // Once written, the request is in the server's socket buffer (loopback): then let the handler go on.
  idle.send('/fast', () => server.child.stdin.write('sent\n'));
  const got = await idle.closed;
  const end = await server.end;
  assert.match(got, /^HTTP\/1\.1 200 (?:(?!connection: close)[^])*fastHTTP\/1\.1 200 [^]*\r\nconnection: close\r\n[^]*fast$/i);
  assert.deepEqual([end.status, end.signal, end.stderr], [null, 'SIGTERM', '']);
});

test('a server that never listened, or was closed already (node:http, node:http2): nothing thrown or printed at exit', async () => {
  const end = await start('idle', { stdin: 'ignore' }).end;
  assert.deepEqual([end.stdout, end.stderr, end.status], ['closed before the end\nending\nh2 closed\n', '', 0]);
});

test('unregister(server): that server is not closed at exit; the other one is', async () => {
  const end = await start('unregister', { stdin: 'ignore' }).end;
  assert.deepEqual([end.stdout, end.stderr, end.status], ['kept closed\nkept listening: false, dropped listening: true\ndropped closed\n', '', 0]);
});

test('at the deadline the connection still open is destroyed, and the line names the server: the program then ends by itself', async () => {
  const server = start('deadline');
  const port = Number((await server.line(/^PORT /)).slice(5));
  const slow = client(port, server.events, 'slow');
  slow.send('/slow');
  const end = await server.end;
  assert.equal(await slow.closed, '');
  assert.match(end.stderr, new RegExp(`^atexit: deadline of 300 ms passed while awaiting http server 127\\.0\\.0\\.1:${port}[;,]`));
  assert.equal(end.stderr.split('\n').length, 2, end.stderr);
  assert.deepEqual([end.stdout, end.status, end.signal], [`PORT ${port}\nREADY\nENDING\nran; 0 left; listening: false\n`, 0, null]);
});

// Deno.serve() and Bun.serve(), each on its own runtime (whatever ATEXIT_RUNTIME says).
for (const [name, runtimeName, flags] of [
  ['Deno.serve', 'deno', ['run', '-A', '--quiet']],
  ['Bun.serve', 'bun', []],
]) {
  const bin = where(runtimeName);
  const native = (mode) => start(mode, { line: [bin, [...flags, fileURLToPath(new URL('fixtures/server-native.mjs', import.meta.url)), mode]] });
  const skip = missing(runtimeName);

  test(`[${name}] SIGTERM: the request in flight is answered and its connection closed, an idle keep-alive connection closes at once, new ones are refused, the process ends after the answer`, { skip }, async () => {
    const server = native('steady');
    const port = Number((await server.line(/^PORT /)).slice(5));
    const { events } = server;
    const idle = client(port, events, 'idle');
    idle.send('/fast');
    await idle.responses(1);
    const slow = client(port, events, 'slow');
    slow.send('/slow');
    await server.line(/^READY$/);
    await server.terminate();
    await idle.closed;
    // Deno.serve() may still accept a connection for a moment after shutdown(), and then reset
    // it (docs/servers.md): it is never served.
    if (name === 'Bun.serve') assert.equal(await refused(port), 'ECONNREFUSED');
    else assert.match(await unserved(port), /^(ECONNREFUSED|ECONNRESET|closed)$/);
    server.go();
    assert.match(await slow.closed, /^HTTP\/1\.1 200 [^]*\r\n\r\n\/slow answered$/);
    const end = await server.end;
    assert.deepEqual(events, ['idle closed', 'go', 'slow closed', 'exit']);
    assert.deepEqual([end.status, end.signal, end.stderr], [null, 'SIGTERM', '']);
  });

  // Bun.serve cuts what is left (stop(true)), and the program goes on; Deno.serve has no way to
  // cut a request: there the signal's ending ends the process at the deadline.
  test(`[${name}] the deadline names the server${name === 'Bun.serve' ? '; the request left is cut and the program ends by itself' : ''}`, { skip }, async () => {
    const server = native('deadline');
    const port = Number((await server.line(/^PORT /)).slice(5));
    const slow = client(port, server.events, 'slow');
    slow.send('/slow');
    await server.line(/^READY$/);
    if (name === 'Deno.serve') server.child.kill('SIGTERM');
    else {
      await server.line(/^ran; /);
      assert.equal(await slow.closed, ''); // cut while the program still runs
      server.child.stdin.write('bye\n');
    }
    const end = await server.end;
    assert.match(end.stderr, new RegExp(`^atexit: deadline of 300 ms passed while awaiting ${name.replace('.', '\\.')} 127\\.0\\.0\\.1:${port}[;,]`));
    assert.equal(await slow.closed, '');
    if (name === 'Bun.serve') assert.deepEqual([end.stdout, end.status, end.signal], [`PORT ${port}\nREADY\nENDING\nran; 0 left\n`, 0, null]);
    else assert.deepEqual([end.status, end.signal], [null, 'SIGTERM']);
  });
}
