// `npm run stress`: a signal sent during a run at the worst moments, hundreds of times, on every
// runtime: right after an awaited handler's first line, as a stretch of synchronous handlers
// ends, while output drains, and a person's quick second Ctrl+C. Each run must end as the rules
// say (test/fixtures/ctrlc.mjs): nothing lost, nothing run twice, death by the signal.
//
//   node scripts/stress.js [--runs N] [--runtimes node,node26,bun,deno]
//
// Runtimes not fetched yet (`npm run runtimes`) are left out, and said so.
// Prints one line per case and runtime, then `N passed, N failed`. test/ctrlc.test.js runs a
// few of each in `npm test` through `stress()`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { where } from './runtimes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('../test/fixtures/ctrlc.mjs', import.meta.url));

/** The command line that runs the fixture on `runtime`, or undefined if it is not fetched (scripts/runtimes.js). */
export function commandFor(runtime, args) {
  if (runtime === 'node') return [process.execPath, [fixture, ...args]];
  const bin = where(runtime);
  if (!bin) return undefined;
  return runtime === 'deno' ? [bin, ['run', '-A', '--quiet', fixture, ...args]] : [bin, [fixture, ...args]];
}

const second = /^atexit: a second SIGINT: not awaiting slow; the remaining handlers run without waiting\n$/;

/**
 * The cases: the fixture's arguments, the signals sent (the first once READY is out, each next
 * `gap` ms after the one before), whether the child leads its own process group (then they go to
 * the group, as a terminal sends them), and what it must print and how it must end.
 */
export const cases = [
  ...['natural', 'exit', 'manual', 'signal'].flatMap((how) => [
    { name: `${how}: SIGINT right after an awaited handler's first line`, args: [how, 'first'], want: 'READY\nolder\n' },
    { name: `${how}: SIGINT as a stretch of synchronous handlers ends`, args: [how, 'between'], want: 'READY\nslow start\nolder\n' },
  ]),
  { name: 'exit: SIGINT while the output drains', args: ['exit', 'drain'], want: 'READY\n<1 MiB>\nslow start\nolder\n' },
  { name: 'a quick second Ctrl+C (250 ms) to the group of a program that leads it', args: ['signal', 'wait'], group: true, gaps: [250], want: 'READY\nolder\n', stderr: second },
  // (Not 1 ms later: the kernel keeps one pending SIGINT, so two sent before the process runs are one.)
  { name: 'the same signal 100 ms later to a program that leads its group: a second press', args: ['alive', 'quiet'], group: true, gaps: [100], want: 'READY\nslow start\nolder\n', stderr: second },
  // Not leading its group, a parent may relay the terminal's Ctrl+C: up to two copies are one request.
  { name: 'one Ctrl+C and a relayed copy 20 ms later', args: ['alive', 'quiet'], gaps: [20], want: 'READY\nslow start\nslow done\nolder\n', stderr: /^$/ },
  { name: "one Ctrl+C and two relayed copies (nodemon's three SIGINTs)", args: ['alive', 'quiet'], gaps: [20, 20], want: 'READY\nslow start\nslow done\nolder\n', stderr: /^$/ },
  { name: 'a fourth SIGINT under a relaying parent: a second press', args: ['alive', 'quiet'], gaps: [20, 20, 20], want: 'READY\nslow start\nolder\n', stderr: second },
];

/** Runs one case once; resolves with a problem, or undefined when it ended as it must. */
export function once(runtime, c) {
  const command = commandFor(runtime, c.args);
  return new Promise((resolve) => {
    const child = spawn(command[0], command[1], { cwd: root, detached: c.group === true, stdio: ['ignore', 'pipe', 'pipe'] });
    const send = () => {
      try {
        process.kill(c.group ? -child.pid : child.pid, 'SIGINT');
      } catch {
        // gone already: the ending below tells
      }
    };
    let stdout = '';
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      if (!sent && /(^|\n)READY\n/.test(stdout)) {
        sent = true;
        send();
        let at = 0;
        for (const gap of c.gaps ?? []) setTimeout(send, (at += gap));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const got = stdout.replace('x'.repeat(1 << 20), '<1 MiB>'); // (a regex would backtrack for minutes on a cut one)
      const problems = [];
      if (got !== c.want) problems.push(`stdout ${JSON.stringify(got.slice(0, 200))}`);
      if (signal !== 'SIGINT') problems.push(`ended by ${signal ?? `status ${status}`}`);
      if (c.stderr && !c.stderr.test(stderr)) problems.push(`stderr ${JSON.stringify(stderr)}`);
      resolve(problems.length ? problems.join(', ') : undefined);
    });
  });
}

/** Runs every case `runs` times on `runtime`; resolves with the failures, as text. */
export async function stress(runtime, runs, log = () => {}) {
  const failures = [];
  for (const c of cases) {
    const seen = new Map();
    for (let i = 0; i < runs; i++) {
      const problem = await once(runtime, c);
      if (problem) seen.set(problem, (seen.get(problem) ?? 0) + 1);
    }
    const bad = [...seen.values()].reduce((a, b) => a + b, 0);
    log(`${bad ? 'FAIL' : 'ok  '} ${runtime} ${c.name}: ${runs - bad}/${runs}${bad ? ` (${[...seen].map(([p, n]) => `${n}× ${p}`).join('; ')})` : ''}`);
    if (bad) failures.push(`${runtime} ${c.name}: ${[...seen].map(([p, n]) => `${n}× ${p}`).join('; ')}`);
  }
  return failures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const runs = Number(option('--runs', 100));
  const wanted = option('--runtimes', 'node,node22,node24,node26,bun,deno').split(',');
  const runtimes = wanted.filter((r) => commandFor(r, []));
  for (const r of wanted.filter((r) => !runtimes.includes(r))) console.log(`skipped ${r}: not fetched (npm run runtimes -- ${r})`);
  let passed = 0;
  let failed = 0;
  for (const runtime of runtimes) {
    const failures = await stress(runtime, runs, console.log);
    failed += failures.length;
    passed += cases.length - failures.length;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
