// Signal to exit: how long a program with one handler takes to end once a signal is sent, from
// the parent's kill() to its 'exit' event, against signal-exit (which runs its handlers at once).
// Rounds interleave the contenders; medians and min–max over them. Used by bench/run.js; alone:
//   node bench/signal.js [rounds]   (prints the table)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, where } from '../scripts/runtimes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('signal-child.js', import.meta.url));

export const CONTENDERS = ['atexit-sync', 'atexit-async', 'signal-exit'];
/** The runtimes fetched (scripts/runtimes.js), this Node first. */
export function runtimes() {
  const found = [[`Node ${process.versions.node.split('.')[0]}`, process.execPath]];
  for (const name of ['node22', 'node24', 'node26', 'bun']) {
    const bin = where(name);
    if (bin) found.push([RUNTIMES[name].label.replace(/ 1$/, ''), bin]);
  }
  return found;
}

/** One run: resolves with the ms from kill() to exit, checking the handler ran and the signal killed it. */
function once(bin, name, signal) {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, [child, name], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let sent;
    c.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      if (sent === undefined && out.includes('ready\n')) {
        sent = performance.now();
        c.kill(signal);
      }
    });
    c.on('exit', (code, killed) => {
      const ms = performance.now() - sent;
      if (!out.includes('handler\n') || killed !== signal) reject(new Error(`${name} on ${bin}: ${JSON.stringify(out)}, ended by ${killed ?? code}`));
      else resolve(ms);
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Measures every runtime × contender × signal; returns rows { runtime, signal, name, times }. */
export async function measure(rounds = 7, signals = ['SIGINT', 'SIGTERM']) {
  const rows = [];
  for (const [runtime, bin] of runtimes()) {
    for (const signal of signals) {
      const times = Object.fromEntries(CONTENDERS.map((n) => [n, []]));
      for (let r = 0; r < rounds; r++) {
        // The order rotates each round, so drift of the machine hits every contender alike.
        for (let i = 0; i < CONTENDERS.length; i++) {
          const name = CONTENDERS[(i + r) % CONTENDERS.length];
          times[name].push(await once(bin, name, signal));
        }
      }
      for (const name of CONTENDERS) rows.push({ runtime, signal, name, times: times[name] });
    }
  }
  return rows;
}

/** Markdown: one row per runtime and signal, each contender's median (min–max), and atexit's extra over signal-exit. */
export function table(rows) {
  const fmt = (xs) => `${median(xs).toFixed(1)} ms (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
  const out = ['| Runtime, signal | atexit, sync handler | atexit, async handler | signal-exit | atexit − signal-exit (medians, sync / async) |', '|---|---:|---:|---:|---:|'];
  const keys = [...new Set(rows.map((r) => `${r.runtime}\0${r.signal}`))];
  for (const key of keys) {
    const [runtime, signal] = key.split('\0');
    const get = (name) => rows.find((r) => r.runtime === runtime && r.signal === signal && r.name === name).times;
    const peer = median(get('signal-exit'));
    const extra = (name) => `${(median(get(name)) - peer >= 0 ? '+' : '')}${(median(get(name)) - peer).toFixed(1)}`;
    out.push(`| ${runtime}, ${signal} | ${fmt(get('atexit-sync'))} | ${fmt(get('atexit-async'))} | ${fmt(get('signal-exit'))} | ${extra('atexit-sync')} / ${extra('atexit-async')} ms |`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measure(Number(process.argv[2] ?? 7));
  console.log(table(rows).join('\n'));
}
