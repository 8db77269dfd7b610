// Finds a Chromium (or Chrome) for the browser test and the runtime matrix: CHROMIUM_PATH if set,
// else the usual command names on PATH. Returns undefined when there is none.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
export const ADVICE = `set CHROMIUM_PATH to a Chromium or Chrome executable, or put one of ${NAMES.join(', ')} on PATH (Debian: apt-get install chromium)`;

const executable = (file) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return executable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of NAMES) if (executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}
