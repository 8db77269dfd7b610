// The server that bench/server.js loads and stops: one contender's way of shutting down at
// SIGTERM, each with its documented defaults. Every request the server reads is appended to the
// trace file before it is served, so that the harness can tell a lost request that the server
// had read from one it never saw.
//   node bench/server-app.mjs <contender> <query ms> <trace file>
// Prints `PORT <n>` once listening. Contenders: atexit, bare, close-with-grace, http-terminator,
// terminus, stoppable (node:http); native (atexit on Deno.serve or Bun.serve, by runtime);
// native-close (the same, the application adding `Connection: close` once the ending began).
import { appendFileSync } from 'node:fs';
import http from 'node:http';

const [contender, ms, trace] = process.argv.slice(2);
const sleep = (n) => new Promise((resolve) => setTimeout(resolve, n));
const read = (url) => appendFileSync(trace, `${url.slice(3)}\n`); // /q/<id>

if (contender === 'native' || contender === 'native-close') {
  const atexit = await import('atexit');
  const app = async (request) => {
    read(new URL(request.url).pathname);
    await sleep(Number(ms));
    // native-close: the application says `Connection: close` itself once the ending began
    // (docs/servers.md: neither runtime lets atexit add it).
    return new Response('ok', contender === 'native-close' && atexit.ending() ? { headers: { connection: 'close' } } : undefined);
  };
  const options = { port: 0, hostname: '127.0.0.1' };
  const server = globalThis.Deno ? Deno.serve({ ...options, onListen() {} }, app) : Bun.serve({ ...options, fetch: app });
  atexit.use(server);
  console.log(`PORT ${server.addr?.port ?? server.port}`);
} else {
  const server = http.createServer(async (req, res) => {
    read(req.url);
    await sleep(Number(ms));
    res.end('ok');
  });
  switch (contender) {
    case 'atexit': {
      const atexit = await import('atexit');
      atexit.use(server);
      break;
    }
    case 'bare':
      process.once('SIGTERM', () => server.close());
      break;
    case 'close-with-grace': {
      const { default: closeWithGrace } = await import('close-with-grace');
      closeWithGrace(() => new Promise((resolve) => server.close(resolve)));
      break;
    }
    case 'http-terminator': {
      const { createHttpTerminator } = await import('http-terminator');
      const terminator = createHttpTerminator({ server });
      process.once('SIGTERM', () => terminator.terminate());
      break;
    }
    case 'terminus': {
      const { createTerminus } = await import('@godaddy/terminus');
      createTerminus(server, { signals: ['SIGTERM'] });
      break;
    }
    case 'stoppable': {
      const { default: stoppable } = await import('stoppable');
      stoppable(server);
      process.once('SIGTERM', () => server.stop());
      break;
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
}
