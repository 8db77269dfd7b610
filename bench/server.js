// `node bench/server.js`: how a server shuts down at SIGTERM under load, atexit's use(server)
// against bare server.close(), close-with-grace, http-terminator, @godaddy/terminus and
// stoppable (bench/server-app.mjs, each with its defaults). Issue 25.
//
// Per run: 32 client loops, each on its own keep-alive connection to 127.0.0.1, send requests
// one after another (their starts spread over one query's time); SIGTERM comes 1 s after the load began. A loop stops when its connection is
// refused, when the server process is gone, or 3 s after the SIGTERM (a client that gives up;
// its idle connection stays open, as a pooled client's does); the server process is killed 15 s
// after the SIGTERM if it is still there. Every request ends as one of: ok; refused
// (ECONNREFUSED); lost, split into read by the server (in its trace) and never read. Per run:
// SIGTERM -> exit, the tail (last answer -> exit), and how the process ended.
// Variants: steady (200 ms queries), long (2 s queries), idle (steady, plus 8 clients that make
// one request at the start and then keep their keep-alive connection idle).
//
//   node bench/server.js [--runs 5] [--runtime node|node20|node22|node24|node26|bun|deno]
//                        [--contenders atexit,bare,...] [--variants steady,long,idle] [--json file]
// Prints a Markdown table (medians, min-max over the runs). Bounded: it stops by itself.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { where } from '../scripts/runtimes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i < 0 ? fallback : argv[i + 1];
};
const RUNS = Number(option('--runs', 5));
const runtime = option('--runtime', 'node');
const CONTENDERS = option('--contenders', 'atexit,bare,close-with-grace,http-terminator,terminus,stoppable').split(',');
const VARIANTS = option('--variants', 'steady,long,idle').split(',');
const LOOPS = 32;
const IDLE_CLIENTS = 8;
const LOAD_BEFORE_SIGTERM = 1_000;
const PATIENCE = 3_000;
const CAP = 15_000;
const QUERY = { steady: 200, long: 2_000, idle: 200 };

const runtimes = {
  node: [process.execPath, []],
  node20: [process.execPath, []],
  // The others as scripts/runtimes.js fetches them (`npm run runtimes`).
  node22: [where('node22'), []],
  node24: [where('node24'), []],
  node26: [where('node26'), []],
  bun: [where('bun'), []],
  deno: [where('deno'), ['run', '-A', '--quiet']],
};
const [bin, flags] = runtimes[runtime] ?? [runtime, []];

/** One request on `agent`; resolves with its outcome ('ok', 'refused', 'lost') and when it ended. */
function request(port, agent, id) {
  return new Promise((resolve) => {
    const done = (outcome, error) => resolve({ id, outcome, error, at: performance.now() });
    const req = http.get({ host: '127.0.0.1', port, path: `/q/${id}`, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
      res.on('end', () => done(res.statusCode === 200 && body === 'ok' ? 'ok' : 'lost', `status ${res.statusCode}`));
      res.on('error', (error) => done('lost', error.code));
    });
    req.on('error', (error) => done(error.code === 'ECONNREFUSED' ? 'refused' : 'lost', error.code));
  });
}

async function once(contender, variant) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-server-'));
  const trace = join(dir, 'trace');
  writeFileSync(trace, '');
  const child = spawn(bin, [...flags, fileURLToPath(new URL('server-app.mjs', import.meta.url)), contender, String(QUERY[variant]), trace], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', (status, signal) => resolve({ status, signal, at: performance.now() })));
  let gone = false;
  exited.then(() => (gone = true));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    exited.then(() => reject(new Error(`${contender} did not start: ${stderr}`)));
  });

  const results = [];
  const agents = [];
  const agent = () => {
    const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(a);
    return a;
  };
  let stopAt = Infinity;
  const loop = async (n) => {
    const a = agent();
    // Staggered over one query's time, so that the SIGTERM finds requests at every stage.
    await new Promise((resolve) => setTimeout(resolve, (n * QUERY[variant]) / LOOPS));
    for (let i = 0; !gone && performance.now() < stopAt; i++) {
      const r = await request(port, a, `${n}-${i}`);
      results.push(r);
      if (r.outcome === 'refused') break;
    }
  };
  const idle = variant === 'idle' ? Array.from({ length: IDLE_CLIENTS }, (_, n) => request(port, agent(), `idle${n}`).then((r) => results.push(r))) : [];
  const loops = Array.from({ length: LOOPS }, (_, n) => loop(n));
  await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_SIGTERM));
  const sigterm = performance.now();
  child.kill('SIGTERM');
  stopAt = sigterm + PATIENCE;
  const cap = setTimeout(() => child.kill('SIGKILL'), CAP);
  const end = await exited;
  clearTimeout(cap);
  await Promise.all([...loops, ...idle]);
  for (const a of agents) a.destroy();

  const read = new Set(readFileSync(trace, 'utf8').split('\n'));
  rmSync(dir, { recursive: true, force: true });
  const count = (f) => results.filter(f).length;
  const lastOk = Math.max(...results.filter((r) => r.outcome === 'ok').map((r) => r.at));
  return {
    ok: count((r) => r.outcome === 'ok'),
    refused: count((r) => r.outcome === 'refused'),
    lostRead: count((r) => r.outcome === 'lost' && read.has(r.id)),
    lostUnread: count((r) => r.outcome === 'lost' && !read.has(r.id)),
    exit: end.at - sigterm,
    tail: end.at - lastOk,
    endedBy: end.signal === 'SIGKILL' ? 'killed at 15 s' : end.signal ?? `exit ${end.status}`,
    errors: [...new Set(results.filter((r) => r.outcome === 'lost').map((r) => r.error))].join(' '),
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, unit = '') => (x === null || !Number.isFinite(x) ? '—' : x >= 1000 && unit === 'ms' ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)}${unit && ` ${unit}`}`);
/** The median, and the range when the runs differ; a tail with no answer at all (no request answered) is left out. */
const spread = (values, unit) => {
  const xs = values.filter((x) => x !== null && Number.isFinite(x));
  if (xs.length === 0) return '—';
  const note = xs.length < values.length ? ` (${values.length - xs.length} runs: none)` : '';
  return Math.min(...xs) === Math.max(...xs) ? `${fmt(xs[0], unit)}${note}` : `${fmt(median(xs), unit)} (${fmt(Math.min(...xs), unit)}–${fmt(Math.max(...xs), unit)})${note}`;
};

// `--render file.json`: prints the table of a saved run again, without running anything.
const saved = option('--render') && JSON.parse(readFileSync(option('--render'), 'utf8'));
const all = saved?.results ?? {};
for (let run = 0; !saved && run < RUNS; run++) {
  const order = CONTENDERS.map((_, i) => CONTENDERS[(i + run) % CONTENDERS.length]);
  for (const variant of VARIANTS) {
    for (const contender of order) {
      const r = await once(contender, variant);
      (all[`${contender} ${variant}`] ??= []).push(r);
      process.stderr.write(`run ${run + 1}/${RUNS} ${variant} ${contender}: ${JSON.stringify(r)}\n`);
    }
  }
}

const version = saved?.version ?? await new Promise((resolve) => {
  const v = spawn(bin, ['--version']);
  let out = '';
  v.stdout.on('data', (chunk) => (out += chunk));
  v.on('close', () => resolve(out.split('\n')[0].trim()));
});
const lines = [
  `${saved?.runtime ?? runtime} (${version}), ${saved?.runs ?? RUNS} runs, ${LOOPS} keep-alive client loops, SIGTERM after ${LOAD_BEFORE_SIGTERM / 1000} s; medians (min–max)`,
  '',
  '| variant | contender | ok | refused | lost, read by the server | lost, never read | SIGTERM → exit | last answer → exit | ended by | lost as |',
  '|---|---|---:|---:|---:|---:|---:|---:|---|---|',
];
for (const variant of VARIANTS) {
  for (const contender of CONTENDERS) {
    const rs = all[`${contender} ${variant}`];
    if (!rs) continue;
    const col = (key, unit) => spread(rs.map((r) => r[key]), unit);
    lines.push(`| ${variant} | ${contender} | ${col('ok')} | ${col('refused')} | ${col('lostRead')} | ${col('lostUnread')} | ${col('exit', 'ms')} | ${col('tail', 'ms')} | ${[...new Set(rs.map((r) => r.endedBy))].join(', ')} | ${[...new Set(rs.map((r) => r.errors).filter(Boolean))].join('; ') || '—'} |`);
  }
}
console.log(lines.join('\n'));
const json = option('--json');
if (json) writeFileSync(json, JSON.stringify({ runtime, version, runs: RUNS, results: all }, null, 1));
