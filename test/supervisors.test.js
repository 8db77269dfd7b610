// Issue 14: the program under the tools real programs run under, each doing its real stop or
// restart (no simulation): nodemon, node --watch, tsx watch, PM2, concurrently, npm run, and as
// PID 1 (Docker without --init; with tini or dumb-init) through unshare. Every test waits for the
// program's READY line before it acts, then checks that each instance ran every handler once and
// how the program and the tool ended. Once done, it renders docs/deploying.md's "Under a
// supervisor" table from the tests tagged [row] (rows in scripts/supervisors.js) and fails if the
// page's differs. Deno and Bun come from scripts/runtimes.js's cache: without them their rows are
// skipped, saying how to fetch them.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { missing, where } from '../scripts/runtimes.js';
import { pageTable, render } from '../scripts/supervisors.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const app = fileURLToPath(new URL('supervisors/app.mjs', import.meta.url));
const tool = (path) => join(root, 'node_modules', path);
// SUPERVISED_PROBE=1: the program loads no atexit and prints when each signal arrives; the tests
// then only report the gaps between signals (scripts/supervisors.js --gaps).
const probe = process.env.SUPERVISED_PROBE === '1';
const linux = process.platform === 'linux';
// The coverage run measures lines, which the other suites reach; these tools add time, not lines.
const notLinux = process.env.NODE_V8_COVERAGE
  ? 'not in the coverage run (npm test runs it)'
  : !linux && 'needs Linux (process groups as here, /proc, unshare)';

// Every tool finds `node` on PATH: make it this Node, not node_modules/.bin/node (another
// version, first on PATH inside `npm test`), and leave out the npm_* variables of `npm test`.
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))),
  PATH: [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.includes('node_modules'))].join(delimiter),
  NODE_DEBUG: '',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};

/** A temporary folder holding app.mjs (which loads the fixture: editing it is a change to watch). */
function folder(t, files = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'atexit-supervised-'));
  writeFileSync(join(dir, 'app.mjs'), `import ${JSON.stringify(pathToFileURL(app).href)};\n`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Whether a process is still running (a zombie is not: nobody may be reaping it here). */
function alive(pid) {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Whether `pid` is still one of our programs, not a process that got its number since. */
function ours(pid) {
  try {
    return alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('app.mjs');
  } catch {
    return false;
  }
}

/** What each instance of the program printed, by pid, in order; and the signals it saw. */
function instances(text) {
  const seen = new Map();
  for (const [, what, pid, rest] of text.matchAll(/(?:^|\] )(READY|sync|async start|async end|signal) (\d+)(.*)/gm)) {
    if (!seen.has(pid)) seen.set(pid, { pid: Number(pid), lines: [], signals: [] });
    if (what === 'signal') {
      const [, name, at] = rest.split(' ');
      seen.get(pid).signals.push({ name, at: Number(at) });
    } else seen.get(pid).lines.push(what === 'async start' ? `${what}${rest}` : what);
  }
  return [...seen.values()];
}

// docs/deploying.md's table outcome per row: a test tagged [row] records whether it passed.
const outcome = {};
function tagged(fn) {
  return async (t) => {
    const tag = /^\[([\w-]+)\] /.exec(t.name)[1];
    try {
      await fn(t);
      outcome[tag] ??= 'pass';
    } catch (error) {
      outcome[tag] = 'fail';
      throw error;
    }
  };
}

after(() => {
  const filtered = [...process.execArgv, ...process.argv].some((arg) => arg.startsWith('--test-name-pattern') || arg.startsWith('--test-only'));
  if (probe || filtered || process.env.NODE_V8_COVERAGE) return;
  const { table } = render(outcome);
  if (process.env.SUPERVISORS_WRITE === '1') pageTable(table, true);
  else assert.equal(pageTable(table), table, 'docs/deploying.md\'s "Under a supervisor" table differs from this run: `npm run supervisors` writes it');
});

const ranOnce = (signal) => ['READY', `async start {"reason":"signal","signal":"${signal}"}`, 'async end', 'sync'];

/** Waits until `ready()` holds, polling; fails after `ms` with what `describe()` says. */
async function until(ready, describe, ms = 15_000) {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`gave up after ${ms} ms waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Starts a tool in a process group of its own (as a shell starts a foreground job), collects
 * stdout and stderr together, and kills the group at the end of the test whatever happened.
 * `own: false` when the program's pids are not ours to see (another PID namespace).
 */
function start(t, file, args, { cwd, own = true } = {}) {
  const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const job = { child, output: '', exited: undefined };
  for (const stream of [child.stdout, child.stderr]) stream.setEncoding('utf8').on('data', (chunk) => (job.output += chunk));
  job.ended = new Promise((resolve) => child.on('exit', (status, signal) => resolve((job.exited = { status, signal }))));
  job.instances = () => instances(job.output);
  const pids = () => (own ? job.instances().map((i) => i.pid) : []);
  job.ready = (n, ms) => until(() => job.instances().filter((i) => i.lines.includes('READY')).length >= n, () => `READY #${n} in:\n${job.output}`, ms);
  job.gone = (ms) => until(() => job.exited && pids().every((pid) => !alive(pid)), () => `the end of ${file} and its program:\n${job.output}`, ms);
  t.after(() => {
    for (const target of [-child.pid, ...pids().filter(ours)]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return job;
}

/** Ctrl+C in a terminal: SIGINT to every process of the foreground group. */
const ctrlC = (job) => process.kill(-job.child.pid, 'SIGINT');
const edit = (dir) => appendFileSync(join(dir, 'app.mjs'), '// edited\n');

/** In probe mode: the gaps between the signals each instance got, as a diagnostic. */
function gaps(t, job) {
  for (const { pid, signals } of job.instances()) {
    const list = signals.map((s, i) => (i ? `+${(s.at - signals[i - 1].at).toFixed(1)} ms ${s.name}` : s.name));
    t.diagnostic(`gaps ${t.name.split(':')[0]} pid ${pid}: ${list.join(', ') || 'no signal'}`);
  }
}

/** A restart and then Ctrl+C under a watcher: the first instance ends by `restartSignal`. */
function watcher(tag, name, command, { restartSignal, stopped }) {
  test(`${name}: a restart, then Ctrl+C`, { skip: notLinux, timeout: 30_000 }, async (t) => {
    const dir = folder(t);
    const job = start(t, ...command, { cwd: dir });
    await job.ready(1);
    // A watcher may start watching after the program is up: change the file again until it restarts.
    const again = setInterval(() => edit(dir), 3_000);
    edit(dir);
    await job.ready(2).finally(() => clearInterval(again));
    await t.test(`[${tag}-restart] ${name}: a change restarts the program`, tagged(async () => {
      if (probe) return;
      const [first, second] = job.instances();
      await until(() => !alive(first.pid), () => `the first instance (${first.pid}) to end`, 5_000);
      assert.deepEqual(first.lines, ranOnce(restartSignal), job.output);
      assert.deepEqual(second.lines, ['READY']);
    }));
    ctrlC(job);
    await job.gone();
    if (probe) return gaps(t, job);
    await t.test(`[${tag}-stop] ${name}: Ctrl+C (SIGINT to the process group)`, tagged(() => {
      const second = job.instances()[1];
      assert.deepEqual(second.lines, ranOnce('SIGINT'), job.output);
      stopped(job);
    }));
  });
}

watcher('nodemon', 'nodemon', [process.execPath, [tool('nodemon/bin/nodemon.js'), '--delay', '0.05', 'app.mjs']], {
  restartSignal: 'SIGUSR2',
  stopped: (job) => assert.deepEqual(job.exited, { status: 130, signal: null }),
});
watcher('watch', 'node --watch', [process.execPath, ['--watch', 'app.mjs']], {
  restartSignal: 'SIGTERM',
  stopped: (job) => assert.deepEqual(job.exited, { status: 0, signal: null }),
});
watcher('tsx', 'tsx watch', [process.execPath, [tool('tsx/dist/cli.mjs'), 'watch', 'app.mjs']], {
  restartSignal: 'SIGTERM',
  stopped: (job) => assert.deepEqual(job.exited, { status: 0, signal: null }),
});

// Issue 19: Deno's and Bun's watch modes restart the program inside the same process (same pid),
// so the program is watched.mjs, whose lines name each instance by a random number instead.
const watched = fileURLToPath(new URL('supervisors/watched.mjs', import.meta.url));
const ranNow = (signal) => ['READY', `async start {"reason":"signal","signal":"${signal}"}`, 'sync'];

/**
 * Two restarts, then Ctrl+C, under a watch mode that restarts in-process. `restarted`: the lines
 * of an instance a restart replaced, seen before the Ctrl+C; `stopped(instances, job)` checks the end.
 */
function inProcess(tag, name, runtime, args, { restarted, stopped }) {
  const skip = notLinux || (probe && 'probe: the tools whose signals are measured are the others') || missing(runtime);
  const command = [where(runtime), ...args];
  test(`${name}: two restarts, then Ctrl+C`, { skip, timeout: 30_000 }, async (t) => {
    const dir = folder(t, { 'app.mjs': `import ${JSON.stringify(pathToFileURL(watched).href)};\n` });
    // own: false, as the numbers in the lines are no pids.
    const job = start(t, command[0], [...command.slice(1), 'app.mjs'], { cwd: dir, own: false });
    await job.ready(1);
    for (const n of [2, 3]) {
      const again = setInterval(() => edit(dir), 3_000);
      edit(dir);
      await job.ready(n).finally(() => clearInterval(again));
    }
    await t.test(`[${tag}-restart] ${name}: two changes restart the program twice; the watcher goes on`, tagged(() => {
      const [first, second, third] = job.instances();
      assert.deepEqual([first.lines, second.lines, third.lines], [restarted, restarted, ['READY']], job.output);
      assert.equal(job.exited, undefined, job.output);
    }));
    ctrlC(job);
    await job.gone();
    await t.test(`[${tag}-stop] ${name}: Ctrl+C (SIGINT to the process group)`, tagged(() => stopped(job.instances(), job)));
  });
}

inProcess('deno-watch', 'deno run --watch', 'deno', ['run', '-A', '--watch'], {
  restarted: ranOnce('SIGTERM'),
  stopped: ([, , last], job) => {
    assert.deepEqual(last.lines, ranOnce('SIGINT'), job.output);
    assert.deepEqual(job.exited, { status: null, signal: 'SIGINT' }, job.output);
  },
});
inProcess('bun-watch', 'bun --watch', 'bun', ['--watch'], {
  restarted: ranNow('SIGTERM'),
  stopped: ([, , last], job) => {
    assert.deepEqual(last.lines, ranOnce('SIGINT'), job.output);
    assert.equal(job.output.match(/cannot be awaited: the program is ending now/g)?.length, 2, job.output);
    assert.deepEqual(job.exited, { status: 0, signal: null }, job.output);
  },
});
inProcess('bun-hot', 'bun --hot', 'bun', ['--hot'], {
  restarted: ['READY'],
  stopped: (all, job) => {
    assert.deepEqual(all.map((i) => i.lines), [ranOnce('SIGINT'), ranOnce('SIGINT'), ranOnce('SIGINT')], job.output);
    assert.deepEqual(job.exited, { status: null, signal: 'SIGINT' }, job.output);
  },
});

// Issue 27: the other forms of Deno's watch flags, read from the command line (src/runtimes/deno.ts).
// A SIGTERM to the program under a watch mode is taken for the watcher's restart request: the
// handlers run, the program ends with Deno.exit(143) and the watcher waits for a change. Where
// there is no watch mode, it is a real SIGTERM: death by it.
{
  const deno = where('deno');
  const serve = (flags) => ['serve', '-A', ...flags, 'app.mjs'];
  const port = ['--host', '127.0.0.1', '--port', '0'];
  for (const [how, args, watching] of [
    ['run --watch=<paths>', (dir) => ['run', '-A', `--watch=${dir}`, 'app.mjs'], true],
    ['run --hmr', () => ['run', '-A', '--hmr', 'app.mjs'], true],
    ['run --watch-hmr (its older name)', () => ['run', '-A', '--watch-hmr', 'app.mjs'], true],
    ['run --watch --watch-exclude=<paths>', () => ['run', '-A', '--watch', '--watch-exclude=other.mjs', 'app.mjs'], true],
    ['run --watch-exclude=<paths> --watch', () => ['run', '-A', '--watch-exclude=other.mjs', '--watch', 'app.mjs'], true],
    ['run --config <file> --watch (a flag with a separate value first)', () => ['run', '-A', '--config', 'deno.json', '--watch', 'app.mjs'], true],
    ['serve --watch', () => serve(['--watch', ...port]), true],
    ['serve --port <n> --watch', () => serve([...port, '--watch']), true],
    ['run --watch-exclude=<paths> alone (no watch mode)', () => ['run', '-A', '--watch-exclude=other.mjs', 'app.mjs'], false],
    ['run app.mjs --watch (the program\'s own argument)', () => ['run', '-A', 'app.mjs', '--watch'], false],
  ]) {
    const outcome = watching ? 'taken for a restart: the handlers run, the program ends with 143, the watcher goes on' : 'a real SIGTERM: the handlers run, death by it';
    test(`deno ${how}, SIGTERM: ${outcome}`, { skip: notLinux || (probe && 'probe: not a supervisor') || missing('deno'), timeout: 30_000 }, async (t) => {
      const program = `import ${JSON.stringify(pathToFileURL(watched).href)};\nexport default { fetch: () => new Response('') };\n`;
      const dir = folder(t, { 'app.mjs': program, 'deno.json': '{}\n' });
      const job = start(t, deno, args(dir), { cwd: dir, own: false });
      await job.ready(1);
      job.child.kill('SIGTERM');
      await until(() => job.exited || /exit code 143/.test(job.output), () => `the program to end:\n${job.output}`);
      assert.deepEqual(job.instances()[0].lines, ranOnce('SIGTERM'), job.output);
      if (watching) {
        assert.match(job.output, /Process finished with exit code 143/);
        assert.equal(job.exited, undefined, job.output);
      } else {
        await job.ended;
        assert.deepEqual(job.exited, { status: null, signal: 'SIGTERM' }, job.output);
      }
    });
  }
}

test('concurrently: Ctrl+C', { skip: notLinux, timeout: 30_000 }, async (t) => {
  const dir = folder(t);
  const job = start(t, process.execPath, [tool('concurrently/dist/bin/concurrently.js'), `${JSON.stringify(process.execPath)} app.mjs`], { cwd: dir });
  await job.ready(1);
  ctrlC(job);
  await job.gone();
  if (probe) return gaps(t, job);
  await t.test('[concurrently-stop] concurrently: Ctrl+C (SIGINT to the process group)', tagged(() => {
    assert.deepEqual(job.instances()[0].lines, ranOnce('SIGINT'), job.output);
    assert.match(job.output, /app\.mjs exited with code SIGINT/);
    assert.deepEqual(job.exited, { status: 0, signal: null });
  }));
});

const npm = (dir, script) => ['npm', ['run', '--silent', script], { cwd: dir }];
const scripts = JSON.stringify({ name: 'supervised', private: true, scripts: { start: 'node app.mjs', exec: 'exec node app.mjs' } });

test('npm run: Ctrl+C, and SIGTERM to npm with and without exec', { skip: notLinux, timeout: 30_000 }, async (t) => {
  const dir = folder(t, { 'package.json': scripts });
  await t.test('[npm-ctrlc] npm run start: Ctrl+C (SIGINT to the process group)', tagged(async (t) => {
    const job = start(t, ...npm(dir, 'start'));
    await job.ready(1);
    ctrlC(job);
    await job.gone();
    if (probe) return gaps(t, job);
    assert.deepEqual(job.instances()[0].lines, ranOnce('SIGINT'), job.output);
    assert.deepEqual(job.exited, { status: null, signal: 'SIGINT' });
  }));
  await t.test('[npm-exec] "start": "exec node app.mjs", SIGTERM to npm', tagged(async (t) => {
    const job = start(t, ...npm(dir, 'exec'));
    await job.ready(1);
    job.child.kill('SIGTERM');
    await job.gone();
    if (probe) return gaps(t, job);
    assert.deepEqual(job.instances()[0].lines, ranOnce('SIGTERM'), job.output);
    assert.deepEqual(job.exited, { status: null, signal: 'SIGTERM' });
  }));
  await t.test('[npm-plain] "start": "node app.mjs", SIGTERM to npm: the program is orphaned', tagged(async (t) => {
    const job = start(t, ...npm(dir, 'start'));
    await job.ready(1);
    const [{ pid }] = job.instances();
    job.child.kill('SIGTERM');
    await job.ended;
    if (probe) return gaps(t, job);
    // npm passes SIGTERM to `sh`, which dies of it without passing it on: the program runs on.
    assert.ok(alive(pid), `the program (${pid}) should outlive npm:\n${job.output}`);
    assert.deepEqual(job.instances()[0].lines, ['READY']);
    assert.deepEqual(job.exited, { status: null, signal: 'SIGTERM' });
  }));
});

test('PM2: start, restart, stop; its daemon killed after', { skip: notLinux, timeout: 40_000 }, async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'atexit-pm2-'));
  const pm2 = (...args) =>
    new Promise((resolve, reject) =>
      execFile(process.execPath, [tool('pm2/bin/pm2'), ...args], { cwd: home, env: { ...env, PM2_HOME: home } }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
  // No daemon may outlive the test, whatever happened in it.
  t.after(async () => {
    await pm2('kill');
    rmSync(home, { recursive: true, force: true });
  });
  const dir = folder(t);
  const log = () => [join(home, 'logs', 'app-out.log'), join(home, 'pm2.log')].map((file) => (existsSync(file) ? readFileSync(file, 'utf8') : '')).join('');
  const ready = (n) => until(() => instances(log()).filter((i) => i.lines.includes('READY')).length >= n, () => `READY #${n} in PM2's logs:\n${log()}`);
  await pm2('start', join(dir, 'app.mjs'), '--name', 'app', '--no-autorestart');
  await ready(1);
  await pm2('restart', 'app');
  await ready(2);
  await t.test('[pm2-restart] pm2 restart', tagged(async () => {
    if (probe) return;
    const [first, second] = instances(log());
    assert.deepEqual(first.lines, ranOnce('SIGINT'), log());
    assert.deepEqual(second.lines, ['READY']);
  }));
  await pm2('stop', 'app');
  const second = instances(log())[1];
  await until(() => !alive(second.pid), () => `PM2 to stop ${second.pid}`, 5_000);
  if (probe) {
    for (const { pid, signals } of instances(log())) t.diagnostic(`gaps pm2 pid ${pid}: ${signals.map((s) => s.name).join(', ')}`);
    return;
  }
  await t.test('[pm2-stop] pm2 stop', tagged(() => {
    assert.deepEqual(instances(log())[1].lines, ranOnce('SIGINT'), log());
    assert.equal(log().match(/exited with code \[0\] via signal \[SIGINT\]/g)?.length, 2, log());
  }));
});

// PID 1 in a PID namespace of its own, as `docker run` (without --init) and Kubernetes start a
// program: the kernel drops a signal sent to a namespace's init that the init has no listener
// for, so a re-raised signal cannot end it.
// test/ending-rules.test.js has the rest at PID 1: a second signal, examples/graceful-http.mjs.
const unshare = ['unshare', '--pid', '--fork', '--mount-proc'];
const pid1 = probe ? 'probe: no gaps to measure' : notLinux || (process.getuid?.() !== 0 && 'needs root (unshare --pid)');

/** Runs `command` as PID 1 of a new namespace; sends `signal` to that init once READY is printed. */
async function asInit(t, command, signal) {
  const job = start(t, unshare[0], [...unshare.slice(1), ...command], { cwd: root, own: false });
  await job.ready(1);
  // The init, seen from here: unshare's only child.
  const init = Number(readFileSync(`/proc/${job.child.pid}/task/${job.child.pid}/children`, 'utf8').trim().split(' ')[0]);
  process.kill(init, signal);
  await job.gone(5_000);
  return job;
}

// Under an init, the program is not PID 1: it dies by the signal itself, as the init says (-v).
const NAMES = { SIGTERM: ['Terminated', 15], SIGINT: ['Interrupt', 2] };
for (const [tag, how, command, says] of [
  ['pid1', 'node as PID 1 (docker run without --init)', [process.execPath, app]],
  ['tini', 'node under tini (docker run --init)', ['tini', '-v', '--', process.execPath, app], ([name]) => new RegExp(`Main child exited with signal \\(with signal '${name}'\\)`)],
  ['dumb-init', 'node under dumb-init', ['dumb-init', '-v', process.execPath, app], ([, number]) => new RegExp(`terminated by signal ${number}\\.`)],
]) {
  for (const [signal, status] of [['SIGTERM', 143], ['SIGINT', 130]]) {
    const skip = pid1 || (tag !== 'pid1' && !onPath(command[0]) && `no ${command[0]} on PATH (Debian: apt-get install ${command[0]})`);
    test(`[${tag}] ${how}, ${signal}: every handler once, then status ${status}`, { skip, timeout: 20_000 }, tagged(async (t) => {
      const job = await asInit(t, command, signal);
      assert.deepEqual(job.instances()[0].lines, ranOnce(signal), job.output);
      if (says) assert.match(job.output, says(NAMES[signal]));
      else assert.equal(job.output, `READY 1\nasync start 1 {"reason":"signal","signal":"${signal}"}\nasync end 1\nsync 1\n`);
      assert.deepEqual(job.exited, { status, signal: null }, job.output);
    }));
  }
}

test('[pipe-head] `node cli.mjs | head -1`: the reader leaves early, a handler prints at the end; status 0, nothing on stderr', { skip: notLinux, timeout: 20_000 }, tagged(async (t) => {
  const cli = fileURLToPath(new URL('supervisors/cli.mjs', import.meta.url));
  const job = start(t, 'bash', ['-c', '"$0" "$1" | head -1; echo "node: status ${PIPESTATUS[0]}" >&2', process.execPath, cli], { own: false });
  await job.ended;
  assert.equal(job.output, 'line 1\nnode: status 0\n');
  assert.deepEqual(job.exited, { status: 0, signal: null });
}));

function onPath(name) {
  return env.PATH.split(delimiter).some((dir) => existsSync(join(dir, name)));
}
