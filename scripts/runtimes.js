// The runtimes and compilers the package is tested on besides the Node that runs the tests:
// Node 22, 24 and 26, Deno, Bun, TypeScript 5.0 and 7. They are not devDependencies (about
// 850 MB, where the rest of `npm install` is about 140 MB): the commands that need them fetch
// them on first use, from the npm registry, each into its own folder of a cache, pinned to one
// version (a new version is a new folder). `npm test` never fetches: it skips what needs a
// missing one and says so.
//
//   node scripts/runtimes.js [name…]          fetch these (default: all) unless cached; print where
//   node scripts/runtimes.js --check [name…]  exit 1, naming them, if one is missing (no fetch)
//   node scripts/runtimes.js exec name [arg…] run one (fetched first if needed), e.g. `exec deno publish`
//   node scripts/runtimes.js --note           after `npm test`: what it skipped for want of them, if anything
//
// The cache is node_modules/.cache/atexit-runtimes (gone with node_modules, as after `npm ci`),
// or ATEXIT_RUNTIMES_DIR.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** name → what to install (an npm alias where the name is not the package's) and the file to run. */
export const RUNTIMES = {
  node22: { label: 'Node 22', spec: 'node22@npm:node@22.23.3', file: 'node22/bin/node' },
  node24: { label: 'Node 24', spec: 'node24@npm:node@24.21.0', file: 'node24/bin/node' },
  node26: { label: 'Node 26', spec: 'node26@npm:node@26.10.0', file: 'node26/bin/node' },
  deno: { label: 'Deno 2', spec: 'deno@2.9.6', file: '.bin/deno' },
  bun: { label: 'Bun 1', spec: 'bun@1.4.5', file: '.bin/bun' },
  typescript50: { label: 'TypeScript 5.0', spec: 'typescript50@npm:typescript@5.0.4', file: 'typescript50/bin/tsc' },
  typescript7: { label: 'TypeScript 7', spec: 'typescript7@npm:typescript@7.0.2', file: 'typescript7/bin/tsc' },
};

export const cache = process.env.ATEXIT_RUNTIMES_DIR || join(root, 'node_modules', '.cache', 'atexit-runtimes');

/** The folder one runtime is installed in: its name and pinned version. */
const folder = (name) => join(cache, `${name}-${RUNTIMES[name].spec.replace(/^.*@/, '')}`);

/** The file that runs `name` (node, deno, bun, tsc), or undefined while it is not fetched. */
export function where(name) {
  if (!RUNTIMES[name]) throw new Error(`runtimes: unknown name ${name}; the names are ${Object.keys(RUNTIMES).join(', ')}`);
  const file = join(folder(name), 'node_modules', RUNTIMES[name].file);
  return existsSync(file) ? file : undefined;
}

/** The command that fetches `names`, for a message. */
export const advice = (names) => `npm run runtimes${names && names.length < Object.keys(RUNTIMES).length ? ` -- ${names.join(' ')}` : ''}`;

/**
 * For a test's `skip` option: false when every one of `names` is fetched, else a sentence naming
 * the missing ones and the command that fetches them.
 */
export function missing(...names) {
  const absent = names.filter((name) => !where(name));
  if (absent.length === 0) return false;
  return `${absent.map((name) => RUNTIMES[name].label).join(', ')} not fetched (not a devDependency): \`${advice(absent)}\` fetches ${absent.length > 1 ? 'them' : 'it'}, then run this again`;
}

/** Fetches every one of `names` not in the cache yet (from the npm registry); returns their files. */
export function fetch(names = Object.keys(RUNTIMES)) {
  for (const name of names) {
    if (where(name)) continue;
    const dir = folder(name);
    const partial = `${dir}.partial-${process.pid}`;
    console.error(`runtimes: fetching ${RUNTIMES[name].label} (${RUNTIMES[name].spec.replace(/^\w+@npm:/, '')}) into ${dir}`);
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    // The npm that runs this script (npm run), else the one on PATH.
    const npm = process.env.npm_execpath && /\.[cm]?js$/.test(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npm'];
    const args = ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', partial, RUNTIMES[name].spec];
    const r = spawnSync(npm[0], [...npm.slice(1), ...args], { stdio: ['ignore', 'ignore', 'inherit'], shell: process.platform === 'win32' && npm.length === 1 });
    if (r.status !== 0 || !existsSync(join(partial, 'node_modules', RUNTIMES[name].file))) {
      rmSync(partial, { recursive: true, force: true });
      throw new Error(`runtimes: could not fetch ${RUNTIMES[name].spec} (npm install ended with ${r.error?.message ?? `status ${r.status}`})`);
    }
    // Another process may have finished the same one meanwhile: keep the first.
    try {
      renameSync(partial, dir);
    } catch {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  return names.map((name) => where(name));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [first, ...rest] = process.argv.slice(2);
  if (first === 'exec') {
    const [name, ...args] = rest;
    const [file] = fetch([name]);
    // tsc and other JavaScript entries run on this Node; the runtimes run themselves.
    const [command, argv] = /\.[cm]?js$|\/tsc$/.test(file) ? [process.execPath, [file, ...args]] : [file, args];
    const r = spawnSync(command, argv, { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
  } else if (first === '--note') {
    // What npm test itself uses; Node 22, 24 and 26 only `npm run test:runtimes` does.
    const absent = ['deno', 'bun', 'typescript50', 'typescript7'].filter((name) => !where(name));
    if (absent.length) {
      console.log(
        `\nnpm test skipped the tests that need ${absent.map((name) => RUNTIMES[name].label).join(', ')}: not devDependencies, and not fetched yet.` +
          `\n\`${advice(absent)}\` fetches ${absent.length > 1 ? 'them' : 'it'} once (into ${cache}), and npm test then runs those tests too;` +
          '\n`npm run test:runtimes` fetches Node 22, 24 and 26 as well and runs the fixture suites on every runtime.',
      );
    }
  } else if (first === '--check') {
    const why = missing(...(rest.length ? rest : Object.keys(RUNTIMES)));
    if (why) {
      console.error(`runtimes: ${why}`);
      process.exitCode = 1;
    }
  } else {
    const names = first === undefined ? Object.keys(RUNTIMES) : [first, ...rest];
    const files = fetch(names);
    for (const [i, name] of names.entries()) console.log(`${RUNTIMES[name].label}: ${files[i]}`);
  }
}
