// The runtime matrix: runs the child-process fixture suites on Node 20, 22, 24 and 26, Deno and Bun
// (ATEXIT_RUNTIME, see test/harness.js; all but Node 20 fetched first into scripts/runtimes.js's
// cache if needed) and the browser test in Chromium, then writes docs/matrix.md's runtime table
// between its markers from the results.
//   node scripts/matrix.js          run, print failures, write the table into docs/matrix.md
//   node scripts/matrix.js --check  run, and fail if docs/matrix.md's table differs from this run's
// Exits 1 when a test fails on any runtime. Rows are the endings of SPEC §3: a cell is ✅ when
// every test tagged with that row in test/runtimes/runtimes.test.js (or test/browser.test.js)
// passes on that runtime, ❌ when one fails, n/a when the runtime has no such ending.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADVICE, findChromium } from './chromium.js';
import { fetch } from './runtimes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const SUITES = ['test/endings.test.js', 'test/node.test.js', 'test/async.test.js', 'test/python.test.js', 'test/ending-rules.test.js', 'test/watchdog.test.js', 'test/ctrlc.test.js', 'test/runtimes/runtimes.test.js'];
const RUNTIMES = [
  { id: 'node', label: 'Node 20' },
  { id: 'node22', label: 'Node 22' },
  { id: 'node24', label: 'Node 24' },
  { id: 'node26', label: 'Node 26' },
  { id: 'deno', label: 'Deno 2' },
  { id: 'bun', label: 'Bun 1' },
  { id: 'browser', label: 'Browser' },
];
const ROWS = [
  ['natural', 'The event loop drains: async handlers awaited; status `exitCode` or 0'],
  ['exit', '`process.exit(n)` / `Deno.exit(n)` from normal code: synchronous; status n'],
  ['graceful', '`atexit.exit(n)`: async handlers awaited; status n'],
  ['throw', 'Uncaught exception: synchronous; status 1'],
  ['reject', 'Unhandled promise rejection: synchronous; status 1'],
  ['signal', 'SIGINT, SIGTERM, SIGHUP, no other listener: async handlers awaited, then killed by that signal'],
  ['usr2', 'SIGUSR2 (nodemon\'s restart; not with `--heapsnapshot-signal=SIGUSR2`) and `configure({ signals })`: as SIGTERM'],
  ['pid1', 'A signal to PID 1 in a container (`unshare --pid`, Docker without `--init`): handlers run, then status 128 + n'],
  ['repeat', 'The same signal again within 300 ms, up to twice, where a relay is possible (the program does not lead its process group: a supervisor delivering one request two or three times): one request, nothing skipped'],
  ['listener', 'The same signal while the program has its own listener: not at the signal, at the real end'],
  ['second', 'A genuine second signal while handlers run (a second Ctrl+C whenever it comes where no relay is possible; under a relaying parent the one after two copies): waiting stops, the rest run without waiting, killed by it'],
  ['ctrlc', 'A Ctrl+C at the worst moment of a run (an awaited handler\'s first line, the end of a stretch, the output drain): never lost; the older handlers run once; killed by SIGINT'],
  ['syncsignal', 'A signal during synchronous handlers: the run finishes, then killed by that signal'],
  ['spin', 'A synchronous handler that does not return: stopped at the deadline (a signal cannot stop it, and is heard after); named on stderr; the older handlers still run'],
  ['handled', 'An error the program handles itself: no ending, handlers run at the real end'],
  ['revive', 'The program\'s own `beforeExit`, `on` or `once` (Deno: also `beforeunload`), schedules more work: handlers run after it'],
  ['tla', 'An unsettled top-level await: handlers run; the runtime\'s own status'],
  ['company', 'Another exit-hook library in the program (signal-exit 3/4, exit-hook, when-exit): everyone\'s handlers run, then the signal ends it'],
  ['pipe', 'Output piped to a slow reader: nothing a handler wrote is lost at an end atexit decides'],
  ['epipe', 'The reader of stdout went away (`\\| head -1`): what a handler writes neither crashes the ending nor changes its status'],
  ['unsettled', 'A promise that can no longer settle (nothing left in the event loop): one line, the older handlers run, no wait for the deadline'],
  ['systemexit', '`process.exit(n)` / `Deno.exit(n)` inside a handler (SystemExit): the rest run; status n'],
  ['worker', 'A worker ends by itself, by `process.exit()`, or by a throw: its own handlers run'],
  ['pagehide', 'The page goes away (`pagehide`, not persisted): synchronous'],
  ['kill', 'SIGKILL, `process.abort()`, out of memory: nothing can run (verified: SIGKILL)'],
];
// Facts the tests cannot show in a cell; docs/runtimes.md has the measurements behind them.
const NOTES = {
  'spin node': 'Node 20.16 and newer (`process.getBuiltinModule`, through which `node:vm` is loaded when a run starts); before it a handler that does not return is not stopped.',
  'throw deno': 'Deno fires its `error` / `unhandledrejection` event before it prints the error, so the handlers run before the error is printed. When a handler asks for a status, atexit prints the error itself (`error: Uncaught …`) and exits with it.',
  'reject deno': 'throw deno',
  'reject bun': 'Bun does not tell which promise was rejected: `ending()` is `{ reason: "error" }` with `error` undefined.',
  'throw bun': 'Bun prints the error first, then the handlers run; Node runs them first, then prints it.',
  'signal deno': 'Re-raising uses `Deno.kill`, which needs `--allow-run`; without it the status is 128 + the signal number.',
  'pid1 deno': 'Deno as PID 1 crashes (SIGSEGV, status 139) when it sends itself a signal it no longer listens to (Deno 2.9, measured): as PID 1 atexit does not send it and ends with 128 + n at once.',
  'listener deno': 'A `process.on(signal)` listener is seen; a `Deno.addSignalListener` one cannot be (Deno has no way to ask), so atexit still runs the handlers and re-raises.',
  'handled bun': 'Bun gives a rejection to no `uncaughtException` listener: with one, a rejection still ends the program (status 1, an `error` ending). An exception it handles is no ending.',
  'handled deno': 'An `error` / `unhandledrejection` listener that runs after atexit\'s is heard on the next timer turn: until then atexit keeps the program going, and an error nobody handled is then raised again for Deno to print.',
  'revive deno': 'A `beforeunload` listener that runs after atexit\'s is heard on the next timer turn (atexit asks to go on meanwhile). Deno emits the Node-style `beforeExit` only when no `beforeunload` listener asked to go on, which atexit does: it emits it to the program\'s listeners itself.',
  'revive bun': 'Bun gives no way to see whether a program\'s `beforeExit` listener scheduled more work (`process.getActiveResourcesInfo()` is always empty): the handlers run at the first `beforeExit`, before that work.',
  'tla node': 'Node decides status 13 after the last `beforeExit`, once the handlers ran: during them `ending()` says `{ reason: "natural", code: 0 }`.',
  'tla node22': 'tla node',
  'tla node24': 'tla node',
  'tla node26': 'tla node',
  'tla deno': 'Deno waits forever on an unsettled top-level await once any `Deno.addSignalListener` listener is installed (atexit\'s included) instead of failing with "Top-level await promise never resolved"; the handlers then run only at a signal or `Deno.exit()`.',
  'tla bun': 'Bun waits forever on an unsettled top-level await, with or without atexit.',
  'company node': 'exit-hook handles SIGINT and SIGTERM itself and ends the program with `process.exit(128 + n)` once its own hooks are done: atexit\'s handlers then run synchronously (an async one gets the notice), and the status is 128 + n, not the signal.',
  'company node22': 'company node',
  'company node24': 'company node',
  'company node26': 'company node',
  'company bun': 'company node',
  'company deno': 'As on Node, exit-hook ends the program with `process.exit(128 + n)`: atexit\'s handlers then run synchronously. With signal-exit 3 and 4 and a third library that re-sends the signal (when-exit, another major of atexit) in one program, the signal signal-exit 4 re-sends now and then ends the program before signal-exit 3\'s handler ran (Deno 2.9: 1 run in 15 idle, up to 1 in 3 under load; atexit\'s handlers always ran); those mixes are not in the table\'s tests. Every smaller mix passes.',
  'pipe deno': 'Deno writes to stdout and stderr synchronously (measured): nothing is left in a buffer at the end; the tests pass without the drain too.',
  'pipe bun': 'Bun keeps pipe output it could not send yet in a native sink the stream does not report; atexit waits on that sink\'s `flush()`, a Bun internal found by its name.',
  'worker node': '`worker.terminate()` gives no chance to run.',
  'worker node22': 'worker node',
  'worker node24': 'worker node',
  'worker node26': 'worker node',
  'worker bun': 'worker node',
  'worker deno': 'Web Workers: handlers run on `Deno.exit()` / `process.exit()` in the worker; `self.close()` and `worker.terminate()` give no chance, and an idle worker never ends by itself; an uncaught error runs them, then the main program\'s `worker.onerror` decides. `node:worker_threads`: as on Node, except that at a worker\'s natural end the handlers run synchronously (Deno fires no `beforeExit` there).',
  'pagehide browser': 'Synchronous: an async handler gets a one-line console notice. A page kept in the back/forward cache keeps its handlers; if the browser later evicts it, they never run.',
  'graceful browser': 'A page cannot end itself: the handlers run (awaited) and the page stays; the returned promise never settles.',
};

/** The machine's Node 20, for the runner (the fixtures run on ATEXIT_RUNTIME's). */
function node20() {
  if (process.version.startsWith('v20.')) return process.execPath;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir.includes('node_modules')) continue;
    const file = join(dir, 'node');
    try {
      if (execFileSync(file, ['-p', 'process.version'], { encoding: 'utf8' }).startsWith('v20.')) return file;
    } catch {
      // not there
    }
  }
  throw new Error('matrix: no Node 20 on PATH outside node_modules');
}

/** Runs test files with the JSON-lines reporter; resolves with one record per test. */
function runTests(files, env) {
  const args = ['--test', '--test-reporter', fileURLToPath(new URL('matrix-reporter.js', import.meta.url)), ...files];
  return new Promise((resolve, reject) => {
    const child = spawn(node20(), args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', () => resolve(out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))));
  });
}

// Without a browser the Browser column is not run: it is kept as docs/matrix.md has it (neither
// checked nor rewritten), rather than turned into n/a.
const browser = findChromium();
if (!browser) console.error(`matrix: no Chromium found, so the Browser column is kept as docs/matrix.md has it, unchecked; to run it, ${ADVICE}`);
fetch(['node22', 'node24', 'node26', 'deno', 'bun']);
const PAGE = join(root, 'docs', 'matrix.md');
const readme = readFileSync(PAGE, 'utf8');
/** The mark docs/matrix.md shows for `label` under `runtime`, without its note. */
const kept = (label, runtime) => {
  const line = readme.split('\n').find((l) => l.startsWith(`| ${label} |`));
  const cells = line?.split(' | ');
  return cells?.[RUNTIMES.findIndex((r) => r.id === runtime) + 1]?.replace(/ \|$/, '').replace(/ <sup>\d+<\/sup>$/, '') ?? 'not run';
};

const results = {};
for (const { id } of RUNTIMES) {
  if (id === 'browser' && !browser) continue;
  const started = performance.now();
  results[id] =
    id === 'browser'
      ? await runTests(['test/browser.test.js', 'test/runtimes/jsr.test.js'], { CHROMIUM_PATH: browser })
      : await runTests(SUITES.filter((file) => existsSync(join(root, file))), { ATEXIT_RUNTIME: id });
  const count = (status) => results[id].filter((t) => t.status === status).length;
  console.error(`${id}: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  for (const t of results[id].filter((t) => t.status === 'fail')) console.error(`  FAIL ${t.file?.replace(root, '')}: ${t.name}\n    ${t.error?.replace(/\n/g, '\n    ')}`);
}

// The table.
const notes = [];
const noteFor = (key) => {
  let text = NOTES[key];
  if (text === undefined) return '';
  if (NOTES[text] !== undefined) text = NOTES[text]; // a note shared with another cell
  if (!notes.includes(text)) notes.push(text);
  return ` <sup>${notes.indexOf(text) + 1}</sup>`;
};
const cell = (row, runtime) => {
  if (!results[runtime]) {
    const [, label] = ROWS.find(([id]) => id === row);
    const mark = kept(label, runtime);
    return mark === 'n/a' || mark === 'not run' ? mark : mark + noteFor(`${row} ${runtime}`);
  }
  const tagged = results[runtime].filter((t) => t.name.startsWith(`[${row}] `) && t.status !== 'skip');
  // No test can run there: a note says which fact of the runtime stops it.
  if (tagged.length === 0) return results[runtime].length ? (NOTES[`${row} ${runtime}`] ? `no${noteFor(`${row} ${runtime}`)}` : 'n/a') : 'not run';
  const ok = tagged.every((t) => t.status === 'pass');
  return (ok ? (row === 'kill' ? '✅ (none run)' : '✅') : '❌') + noteFor(`${row} ${runtime}`);
};
const lines = [
  `| How the program ends | ${RUNTIMES.map((r) => r.label).join(' | ')} |`,
  `|---|${RUNTIMES.map(() => ':-:|').join('')}`,
  ...ROWS.map(([row, label]) => `| ${label} | ${RUNTIMES.map((r) => cell(row, r.id)).join(' | ')} |`),
];
const table = [
  '<!-- Generated by `npm run matrix` (scripts/matrix.js) from the test results; do not edit by hand. -->',
  '',
  ...lines,
  '',
  ...notes.map((text, i) => `${i + 1}. ${text}`),
].join('\n');

const markers = /(<!-- runtime-table:start -->\n)[\s\S]*?(\n<!-- runtime-table:end -->)/;
if (!markers.test(readme)) throw new Error('docs/matrix.md has no <!-- runtime-table:start --> / <!-- runtime-table:end --> markers');
const fresh = readme.replace(markers, (_, start, end) => `${start}${table}${end}`);
const failed = Object.values(results).some((list) => list.some((t) => t.status === 'fail'));
if (check) {
  if (fresh !== readme) {
    console.error('matrix: the runtime table in docs/matrix.md differs from this run; run `npm run matrix` and commit it. Fresh table:\n');
    console.error(table);
    process.exitCode = 1;
  } else {
    console.error('matrix: docs/matrix.md runtime table is up to date');
  }
} else if (fresh !== readme) {
  writeFileSync(PAGE, fresh);
  console.error('matrix: docs/matrix.md runtime table written');
}
if (failed) process.exitCode = 1;
