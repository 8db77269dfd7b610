// Child process: a program that ends naturally with N registered handlers. The parent times it
// from spawn to exit. `floor` is the same program without any library (it builds the same
// closures and ends). The last handler to run prints how many ran, so every timed run is checked.
//   node bench/end.js floor|<contender> <registrations>
import { writeSync } from 'node:fs';

const [name, count] = process.argv.slice(2);
const n = Number(count);
let ran = 0;
const fns = Array.from({ length: n }, () => () => {
  ran++;
});
const report = () => writeSync(1, `ran ${ran}\n`);

if (name === 'floor') {
  writeSync(1, 'ran 0\n');
} else {
  const { load } = await import('./contenders.js');
  const c = await load(name);
  // Ours runs newest first (like Python); the peers run oldest first.
  if (name === 'atexit') c.add(report);
  for (let i = 0; i < n; i++) c.add(fns[i]);
  if (name !== 'atexit') c.add(report);
}
