// docs/deploying.md's "Under a supervisor" table. test/supervisors.test.js (in `npm test`) runs
// the real tools, PID 1 through unshare and a shell pipeline; once done it renders this table
// from its results and fails when docs/deploying.md's differs (or writes it, with
// SUPERVISORS_WRITE=1). A row's cell is ✅ when every test tagged with that row passed, ❌ when
// one failed. A row none of whose tests could run on this machine (no tini, Deno or Bun not
// fetched, not Linux) keeps the mark the page has, unchecked, as scripts/matrix.js does for a
// browser it cannot find; "skipped" only where the page has none.
//   node scripts/supervisors.js            fetch Deno and Bun if needed (scripts/runtimes.js), run
//                                          the suite and write the table into docs/deploying.md
//   node scripts/supervisors.js --gaps N   run it N times with a probe program (no atexit) that
//                                          prints when each signal arrives; print the gaps
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fetch } from './runtimes.js';

const root = fileURLToPath(new URL('..', import.meta.url));

// [tag, tool and action, what the program receives, what the tests check]
const ROWS = [
  ['nodemon-restart', 'nodemon: a watched file changes', 'SIGUSR2 (nodemon\'s default), twice (20–110 ms apart)', 'every handler once, then it dies by SIGUSR2 and nodemon starts it again'],
  ['nodemon-stop', 'nodemon: Ctrl+C', 'SIGINT from the terminal, then twice from nodemon (20–160 ms apart)', 'every handler once, then it dies by SIGINT; nodemon exits with 130'],
  ['watch-restart', '`node --watch`: the file changes', 'SIGTERM', 'every handler once, then a new instance starts'],
  ['watch-stop', '`node --watch`: Ctrl+C', 'SIGINT from the terminal, relayed again by `node --watch`', 'every handler once; `node --watch` exits with 0'],
  ['tsx-restart', '`tsx watch`: the file changes', 'SIGTERM', 'every handler once, then a new instance starts'],
  ['tsx-stop', '`tsx watch`: Ctrl+C', 'SIGINT from the terminal, relayed again by tsx', 'every handler once; tsx exits with 0'],
  ['deno-watch-restart', '`deno run -A --watch`: the file changes, twice', 'SIGTERM, raised by Deno to the listeners inside the same process; Deno waits 500 ms at most for the program to end', 'every handler once, awaited; the program ends with `Deno.exit(143)` (the isolate, not the process) and Deno starts it again'],
  ['deno-watch-stop', '`deno run -A --watch`: Ctrl+C', 'SIGINT from the terminal, then SIGINT and SIGTERM raised by Deno', 'every handler once; Deno dies by SIGINT (as without atexit)'],
  ['bun-watch-restart', '`bun --watch`: the file changes, twice', 'SIGTERM (`--watch-kill-signal`), emitted just before Bun replaces the process image (same pid): nothing runs after the listeners return', 'every handler once, at once: an async one starts and is not awaited (one line says so); Bun starts it again'],
  ['bun-watch-stop', '`bun --watch`: Ctrl+C', 'SIGINT from the terminal', 'every handler once; `bun --watch` exits with 0 (as without atexit)'],
  ['bun-hot-restart', '`bun --hot`: the file changes, twice', 'nothing: Bun evaluates the program again in the same global scope', 'no handler runs; every instance\'s handlers stay registered'],
  ['bun-hot-stop', '`bun --hot`: Ctrl+C', 'SIGINT from the terminal', 'the handlers of all three instances, once each; Bun dies by SIGINT'],
  ['pm2-restart', '`pm2 restart`', 'SIGINT (SIGKILL after `kill_timeout`, 1.6 s by default)', 'every handler once, then it dies by SIGINT and PM2 starts it again'],
  ['pm2-stop', '`pm2 stop`', 'SIGINT (SIGKILL after `kill_timeout`)', 'every handler once; PM2 logs "exited with code [0] via signal [SIGINT]"'],
  ['concurrently-stop', 'concurrently: Ctrl+C', 'SIGINT from the terminal, then again from concurrently (65–190 ms later)', 'every handler once; concurrently reports "exited with code SIGINT" and exits with 0'],
  ['npm-ctrlc', '`npm run start`: Ctrl+C', 'SIGINT from the terminal (npm and `sh` get it too)', 'every handler once; npm dies by SIGINT'],
  ['npm-exec', '`"start": "exec node app.mjs"`: SIGTERM to npm', 'SIGTERM, passed on by npm (`exec` made the program `sh`\'s replacement)', 'every handler once; npm dies by SIGTERM'],
  ['npm-plain', '`"start": "node app.mjs"`: SIGTERM to npm', 'nothing: npm passes SIGTERM to `sh` (Debian\'s dash), which dies of it', 'no handler runs and the program is orphaned: it runs on after npm died by SIGTERM'],
  ['pid1', '`docker run` without `--init`: node is PID 1; SIGTERM or SIGINT', 'the signal; the kernel drops the re-raised one (no default action for a namespace\'s init)', 'every handler once, then status 143 or 130 (128 + n)'],
  ['tini', '`docker run --init` (tini): SIGTERM or SIGINT', 'the signal, forwarded by tini', 'every handler once, then it dies by the signal (`tini -v` says so); tini exits with 143 or 130'],
  ['dumb-init', 'dumb-init: SIGTERM or SIGINT', 'the signal, forwarded by dumb-init', 'every handler once, then it dies by the signal (`dumb-init -v` says so); dumb-init exits with 143 or 130'],
  ['pipe-head', '`node cli.mjs \\| head -1`', 'EPIPE: `head` is gone when a handler prints a summary', 'status 0, nothing on stderr'],
];

const FILE = join(root, 'docs', 'deploying.md');
const markers = /(<!-- supervisor-table:start -->\n)[\s\S]*?(<!-- supervisor-table:end -->)/;

/** The mark docs/deploying.md shows for the row `what`, or undefined. */
function kept(what) {
  let page = '';
  try {
    page = readFileSync(FILE, 'utf8');
  } catch {
    // no page yet
  }
  const line = page.split('\n').find((l) => l.startsWith(`| ${what} |`));
  return line?.replace(/ \|$/, '').split(' | ').at(-1);
}

/**
 * The table for `outcome` (tag → 'pass' | 'fail', absent when no test of the row ran here), and
 * the rows not run here (their mark kept from the page).
 */
export function render(outcome) {
  const mark = { pass: '✅', fail: '❌' };
  const unchecked = [];
  const table = [
    '<!-- Generated by test/supervisors.test.js (`npm run supervisors` writes it); do not edit by hand. -->',
    '',
    '| Tool and action | The program receives | Checked (Node 20, Linux) | |',
    '|---|---|---|:-:|',
    ...ROWS.map(([tag, what, receives, checked]) => {
      if (!outcome[tag]) unchecked.push(tag);
      return `| ${what} | ${receives} | ${checked} | ${mark[outcome[tag]] ?? kept(what) ?? 'skipped'} |`;
    }),
  ].join('\n');
  return { table, unchecked };
}

/** docs/deploying.md's table, or with `write`, the page rewritten with `table`. */
export function pageTable(table, write = false) {
  const page = readFileSync(FILE, 'utf8');
  const found = markers.exec(page);
  if (!found) throw new Error('docs/deploying.md has no <!-- supervisor-table:start --> / <!-- supervisor-table:end --> markers');
  if (write) writeFileSync(FILE, page.replace(markers, (_, start, end) => `${start}${table}\n${end}`));
  return page.slice(found.index + found[1].length, found.index + found[0].length - found[2].length - 1);
}

function runSuite(env, stdio) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter', 'tap', 'test/supervisors.test.js'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', stdio, 'inherit'] });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out }));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const gapsAt = process.argv.indexOf('--gaps');
  if (gapsAt === -1) {
    fetch(['deno', 'bun']);
    process.exitCode = (await runSuite({ SUPERVISORS_WRITE: '1' }, 'inherit')).status;
  } else {
    const seen = {};
    for (let i = 0; i < (Number(process.argv[gapsAt + 1]) || 5); i++) {
      const { out } = await runSuite({ SUPERVISED_PROBE: '1' }, 'pipe');
      for (const [, what, list] of out.matchAll(/# gaps (.+?) pid \d+: (.*)/g)) (seen[what] ??= []).push(list);
    }
    for (const [what, lists] of Object.entries(seen)) console.log(`${what}:\n  ${lists.join('\n  ')}`);
  }
}
