// Graceful shutdown on SIGTERM, the Kubernetes way: stop accepting requests, let the ones in
// flight finish, then close the database pool they use, all within the deadline. Afterwards
// the process still dies by SIGTERM, as the orchestrator expects.
//
//   node examples/graceful-http.mjs          then: curl <url> & kill -TERM <pid>   (or Ctrl+C)
import * as atexit from 'atexit';
import { createServer } from 'node:http';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in for a database pool: queries hold a connection; end() waits for them. */
class Pool {
  busy = 0;
  open = true;
  async query(sql) {
    if (!this.open) throw new Error('the pool is closed');
    this.busy++;
    try {
      await sleep(500);
      return `${sql}: ${new Date().toISOString()}\n`;
    } finally {
      this.busy--;
    }
  }
  async end() {
    while (this.busy) await sleep(10);
    this.open = false;
  }
}

const pool = new Pool();
const server = createServer(async (req, res) => {
  res.end(await pool.query('select now()'));
});

// Kubernetes sends SIGKILL terminationGracePeriodSeconds (30 s by default) after SIGTERM:
// give up well before that. Past the deadline the remaining handlers are skipped.
atexit.configure({ deadline: 20_000 });

// Last in, first out: the pool is registered first, so it closes after the server.
atexit.register(async function closePool() {
  await pool.end(); // the requests in flight were still using it
  console.log('pool closed');
});
// use(server) shuts the server down for real (docs/servers.md): it stops listening, answers
// the requests in flight with `Connection: close`, closes each keep-alive connection once it is
// idle, and resolves once every connection is closed: no wait for keepAliveTimeout or clients.
atexit.use(server).on('close', () => console.log('server closed'));
atexit.register(() => console.log(`shutting down: ${JSON.stringify(atexit.ending())}`));

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port} (pid ${process.pid})`);
});
