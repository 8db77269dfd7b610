// `node bench/server-overhead.js`: what use(server) costs a server while it runs (its `request`
// listener keeps the responses not yet finished). A node:http server in a child process, with and
// without use(), answers 32 keep-alive client loops for 2 s; rounds alternate. Prints the server's
// CPU time per request (user + system, from process.cpuUsage()) and requests per second, median
// and range over the rounds.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.argv[2] ?? 5);
const server = `
  const http = await import('node:http');
  const s = http.createServer((req, res) => res.end('ok'));
  const atexit = process.argv[1] === 'use' ? await import('atexit') : undefined;
  atexit?.use(s);
  let n = 0;
  s.on('request', () => n++);
  s.listen(0, '127.0.0.1', () => console.log(s.address().port));
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => {
    const { user, system } = process.cpuUsage(start);
    console.log(JSON.stringify((user + system) / n));
    atexit?.unregister(s); // measured: nothing to shut down
    process.exit();
  });
  let start;
  s.once('request', () => (start = process.cpuUsage()));
`;
async function round(mode) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', server, mode], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(d))));
  let count = 0;
  const until = performance.now() + 2_000;
  await Promise.all(Array.from({ length: 32 }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    while (performance.now() < until) {
      await new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, agent }, (res) => res.resume().on('end', resolve)).on('error', reject));
      count++;
    }
    agent.destroy();
  }));
  const cpu = new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(d))));
  child.stdin.end();
  return { rate: count / 2, cpu: await cpu };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const seen = { plain: [], use: [] };
for (let r = 0; r < ROUNDS; r++) for (const mode of r % 2 ? ['use', 'plain'] : ['plain', 'use']) seen[mode].push(await round(mode));
const spread = (xs, digits) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
for (const [mode, rs] of Object.entries(seen)) {
  console.log(`${mode === 'use' ? 'use(server)  ' : 'without use()'}: ${spread(rs.map((r) => r.cpu), 1)} µs of server CPU per request, ${spread(rs.map((r) => r.rate), 0)} req/s`);
}
