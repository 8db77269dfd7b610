// Issue 24: a signal that comes during a run is never lost or misattributed, whenever it comes;
// a person's second Ctrl+C forces where no relay is possible; relayed copies stay one request.
// Each case of scripts/stress.js (`npm run stress` runs them hundreds of times on every runtime)
// runs a few times here, on the runtime ATEXIT_RUNTIME selects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runtime } from './harness.js';
import { cases, once } from '../scripts/stress.js';

const RUNS = Number(process.env.ATEXIT_STRESS_RUNS ?? 3);

for (const c of cases) {
  test(`[ctrlc] ${c.name} (${RUNS} runs)`, async () => {
    const problems = [];
    for (let i = 0; i < RUNS; i++) {
      const problem = await once(runtime, c);
      if (problem) problems.push(problem);
    }
    assert.deepEqual(problems, []);
  });
}
