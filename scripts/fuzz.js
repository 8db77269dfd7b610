// npm run fuzz: the model-based tests (test/model.test.js: the registry; test/ending-model.test.js:
// the ending policy) with many more runs and a random seed, printed first so a failure can be
// replayed: ATEXIT_FUZZ_SEED=<seed> npm run fuzz.
import { spawnSync } from 'node:child_process';

const seed = Number(process.env.ATEXIT_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env.ATEXIT_FUZZ_RUNS ?? 20_000);
console.log(`fuzz: seed ${seed}, ${runs} runs (replay: ATEXIT_FUZZ_SEED=${seed} npm run fuzz)`);
const { status } = spawnSync(process.execPath, ['--test', 'test/model.test.js', 'test/ending-model.test.js'], {
  stdio: 'inherit',
  env: { ...process.env, ATEXIT_FUZZ_SEED: String(seed), ATEXIT_FUZZ_RUNS: String(runs) },
});
console.log(`fuzz: seed ${seed}: ${status === 0 ? 'passed' : 'FAILED'}`);
process.exitCode = status ?? 1;
