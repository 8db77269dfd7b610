// `npm run mutate`: applies each mutant of scripts/mutants.js to a scratch copy of the
// repository (the work tree is never touched), builds, runs the test files named for it, then
// the whole suite if they pass, and prints one line per mutant, then `mutants: K/N killed`.
// A mutant whose text is no longer in its file (or is there more than once) is stale, and one
// that does not build is invalid (no test saw it): both reported, not counted. Slow (a build and a test run per mutant): not in CI; run it before resolving an
// issue that changes src/.
//
//   node scripts/mutate.js [--jobs 1|2] [--no-baseline] [filter...]
//
// A filter keeps the mutants whose id (#3), file, text or description contains it, or that name
// it among their test files. --jobs 2 uses two scratch copies at once (the machine it was
// written on has 2 cores). Before the mutants, the
// unmutated copy must pass the whole suite (--no-baseline skips that check).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mutants from './mutants.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv.splice(i, 2)[1];
};
const jobs = Math.min(2, Math.max(1, Number(option('--jobs') ?? 1) | 0));
const baseline = !argv.includes('--no-baseline');
const filters = argv.filter((arg) => arg !== '--no-baseline');
// A mutant that makes the suite hang is caught by it too, only slowly: past this, it is killed.
const LIMIT = 10 * 60_000;

const chosen = mutants
  .map((m, i) => ({ ...m, id: `#${i + 1}` }))
  .filter((m) => filters.length === 0 || filters.some((f) => m.id === f || m.file.includes(f) || m.from.includes(f) || m.breaks.includes(f) || m.tests.includes(f)));

/** A copy of the work tree without git, build output or dependencies (node_modules is linked). */
function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'mutant-'));
  for (const entry of readdirSync(root)) {
    if (['.git', 'node_modules', 'dist', 'coverage'].includes(entry)) continue;
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(realpathSync(join(root, 'node_modules')), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs node with `args` in `cwd`; resolves with whether it succeeded, and the output's tail. */
function node(cwd, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_DEBUG: '' }, detached: true });
    let output = '';
    const keep = (chunk) => (output += chunk);
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\n(timed out after ${LIMIT / 1000} s)`;
      try {
        process.kill(-child.pid, 'SIGKILL'); // its group: the test runner and its fixtures
      } catch {
        // gone already
      }
    }, LIMIT);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ ok: status === 0, output });
    });
  });
}

const suite = (dir) => readdirSync(join(dir, 'test')).filter((f) => f.endsWith('.test.js')).map((f) => `test/${f}`);
/** The first failing test in node --test output (a subtest comes before its suite), to say what killed a mutant. */
const failed = (output) => /^\s*not ok \d+ - (.*)$/m.exec(output)?.[1] ?? output.trim().split('\n').slice(-3).join(' ');

/** Each failing test with the lines that say why, or the output's tail. */
const report = (output) => {
  const lines = output.split('\n');
  const found = lines.flatMap((line, i) => (/^\s*not ok /.test(line) ? lines.slice(i, i + 20) : []));
  return (found.length ? found : lines.slice(-40)).join('\n');
};

/** Builds and tests one mutant in `dir`, then puts the file back. */
async function trial(dir, m) {
  const path = join(dir, m.file);
  const original = readFileSync(path, 'utf8');
  const count = original.split(m.from).length - 1;
  if (count !== 1) return { verdict: 'stale', why: count ? `text found ${count} times` : 'text not found' };
  writeFileSync(path, original.replace(m.from, () => m.to));
  try {
    const build = await node(dir, ['scripts/build.js']);
    if (!build.ok) return { verdict: 'invalid', why: `it does not build: ${build.output.trim().split('\n').slice(0, 2).join(' ')}` };
    const named = await node(dir, ['--test', ...m.tests]);
    if (!named.ok) return { verdict: 'killed', why: `by ${m.tests.join(' ')}: ${failed(named.output)}` };
    const all = await node(dir, ['--test', ...suite(dir).filter((f) => !m.tests.includes(f))]);
    if (!all.ok) return { verdict: 'killed', why: `by the rest of the suite: ${failed(all.output)}` };
    return { verdict: 'SURVIVED', why: `${m.tests.join(' ')} and the whole suite pass` };
  } finally {
    writeFileSync(path, original);
  }
}

const dirs = Array.from({ length: Math.min(jobs, chosen.length) || 1 }, scratch);
let stop = false;
process.on('SIGINT', () => {
  stop = true;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  process.exit(130);
});
try {
  if (baseline) {
    const dir = dirs[0];
    const built = await node(dir, ['scripts/build.js']);
    const tested = built.ok ? await node(dir, ['--test', ...suite(dir)]) : built;
    if (!tested.ok) {
      console.log(`baseline: the unmutated copy fails, so every mutant would look killed:\n${report(tested.output)}`);
      process.exitCode = 1;
      stop = true;
    } else {
      console.log('baseline: the unmutated suite passes');
    }
  }
  let next = 0;
  let killed = 0;
  let counted = 0;
  const skipped = [];
  const started = performance.now();
  const worker = async (dir) => {
    while (!stop && next < chosen.length) {
      const m = chosen[next++];
      const t = performance.now();
      const { verdict, why } = await trial(dir, m);
      if (verdict === 'stale' || verdict === 'invalid') skipped.push(m.id);
      else counted++;
      if (verdict === 'killed') killed++;
      const seconds = ((performance.now() - t) / 1000).toFixed(0);
      console.log(`${m.id} ${verdict} ${m.file}: ${m.breaks} (${why}; ${seconds} s)`);
    }
  };
  await Promise.all(dirs.map(worker));
  if (!stop) {
    console.log(`(${((performance.now() - started) / 60_000).toFixed(1)} min${skipped.length ? `; not counted, stale or invalid: ${skipped.join(' ')}` : ''})`);
    console.log(`mutants: ${killed}/${counted} killed`);
    if (killed < counted) process.exitCode = 1;
  }
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
