// Runs a fixture program in a child process and reports how it ended.
// ATEXIT_RUNTIME picks the runtime (node, node22, node24, node26, deno, bun); default: this node.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { missing, where } from '../scripts/runtimes.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export const runtime = process.env.ATEXIT_RUNTIME ?? 'node';

/** The file of a runtime scripts/runtimes.js fetches; a plain error saying how when it is missing. */
const bin = (name) => {
  const file = where(name);
  if (!file) throw new Error(`ATEXIT_RUNTIME=${name}: ${missing(name)}`);
  return file;
};

/** The command line that runs a script on the selected runtime. */
export function command(script, args = []) {
  switch (runtime) {
    case 'node':
      return [process.execPath, [script, ...args]];
    case 'node22':
    case 'node24':
    case 'node26':
      return [bin(runtime), [script, ...args]];
    case 'deno':
      return [bin('deno'), ['run', '-A', '--quiet', script, ...args]];
    case 'bun':
      return [bin('bun'), [script, ...args]];
    default:
      throw new Error(`unknown ATEXIT_RUNTIME ${runtime}`);
  }
}

/**
 * Runs test/fixtures/<name> and resolves with { status, signal, stdout, stderr }.
 * With `signals`, each is sent once the child has printed a line `READY` on stdout (and again
 * after each further `READY`); the test fails rather than waits if READY never comes.
 */
export function run(name, { args = [], env = {}, signals = [], timeout = 20_000, stdio } = {}) {
  const [file, argv] = command(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: root,
      env: { ...process.env, NODE_DEBUG: '', ...env },
      stdio: stdio ?? ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const pending = [...signals];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not end within ${timeout} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeout);
    child.stdout?.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      while (pending.length && countReady(stdout) > signals.length - pending.length) child.kill(pending.shift());
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

const countReady = (text) => text.split('\n').filter((line, i, all) => line === 'READY' && i < all.length - 1).length;
