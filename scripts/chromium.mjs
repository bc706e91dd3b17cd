// The browser ring (test/browser) drives a real Chromium through puppeteer-core, which downloads
// none. This finds one and prints its path: CHROMIUM_PATH, else the usual install locations. On a
// Debian machine without one, run as root (CI's case), it installs Debian's `chromium` package, as
// the README's test command must work on a fresh clone of such a machine. Anywhere else it fails
// with what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
].filter((path) => path !== undefined && path !== '');

const found = () => CANDIDATES.find((path) => existsSync(path));

function installFromDebian() {
  const aptGet = '/usr/bin/apt-get';
  if (process.getuid?.() !== 0 || !existsSync(aptGet)) return;
  const install = () =>
    execFileSync(aptGet, ['install', '-y', 'chromium'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  process.stderr.write("The browser ring needs Chromium: installing Debian's chromium package.\n");
  try {
    install();
  } catch {
    // A fresh machine may not have read the package lists yet.
    execFileSync(aptGet, ['update'], { stdio: ['ignore', 'ignore', 'inherit'] });
    install();
  }
}

if (found() === undefined) installFromDebian();
const path = found();
if (path === undefined) {
  process.stderr.write(
    'The browser ring (test/browser) drives a real Chromium and found none. Install it ' +
      '(Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable.\n',
  );
  process.exit(1);
}
process.stdout.write(`${path}\n`);
