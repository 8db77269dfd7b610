// npm run demo: what atexit does, on its own output.
import * as atexit from 'atexit';

function greet(name, { punctuation = '.' } = {}) {
  console.log(`goodbye, ${name}${punctuation}`);
}
function forgotten() {
  console.log('this never prints: it was unregistered');
}

atexit.register(greet, 'first registered, so it runs last');
atexit.register(forgotten);
atexit.register(function failing() {
  throw new Error('a failing handler is reported; the others still run');
});
atexit.register(greet, 'world', { punctuation: '!' });
atexit.register(forgotten);
atexit.unregister(forgotten); // removes both registrations

console.log(`${atexit.ncallbacks()} handlers registered; the program now ends.`);
