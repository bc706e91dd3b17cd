import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

import { type Browser, launch } from 'puppeteer-core';

/**
 * A headless Chromium for the browser ring: the one scripts/chromium.mjs finds (`npm run
 * test:browser` runs it first, installing Debian's package where it can). The flags keep it off
 * the network this machine does not have: without them it retries Google's hosts at every start.
 */
export function launchChromium(): Promise<Browser> {
  const executablePath = execFileSync(process.execPath, [resolve(__dirname, '../../scripts/chromium.mjs')], {
    encoding: 'utf8',
  }).trim();
  return launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
