// `node bench/server-overhead.js`: what use(server) costs a server while it runs (its `request`
// listener keeps the responses not yet finished). A node:http server in a child process, with and
// without use(), answers 32 keep-alive client loops for 2 s; rounds alternate. Prints requests
// per second, median and range over the rounds.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.argv[2] ?? 5);
const server = `
  const http = await import('node:http');
  const s = http.createServer((req, res) => res.end('ok'));
  if (process.argv[1] === 'use') (await import('atexit')).use(s);
  s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;
async function round(mode) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', server, mode], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
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
  child.kill();
  return count / 2;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const seen = { plain: [], use: [] };
for (let r = 0; r < ROUNDS; r++) for (const mode of r % 2 ? ['use', 'plain'] : ['plain', 'use']) seen[mode].push(await round(mode));
for (const [mode, xs] of Object.entries(seen)) console.log(`${mode === 'use' ? 'use(server)' : 'without use()'}: ${Math.round(median(xs))} req/s (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`);
