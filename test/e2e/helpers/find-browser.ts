// Where the end-to-end tests find a Chromium or Chrome: COLM_CHROMIUM first (then CHROME_PATH,
// which other tools use), else where package managers and installers usually put one. Nothing is
// downloaded: playwright-core drives the browser the machine already has.
import { accessSync, constants } from 'node:fs';

export const BROWSER_VARIABLES = ['COLM_CHROMIUM', 'CHROME_PATH'] as const;

/** The usual places, in order, for each platform. */
export function usualBrowserPaths(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}): string[] {
  if (platform === 'darwin') {
    return [
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      `${env.HOME ?? ''}/Applications/Google Chrome.app/Contents/MacOS/Google Chrome`,
      `${env.HOME ?? ''}/Applications/Chromium.app/Contents/MacOS/Chromium`,
    ];
  }
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter((r): r is string => typeof r === 'string' && r !== '');
    return roots.flatMap((root) => [`${root}\\Google\\Chrome\\Application\\chrome.exe`, `${root}\\Chromium\\Application\\chrome.exe`]);
  }
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/snap/bin/chromium',
    '/usr/local/bin/chromium',
    '/opt/google/chrome/chrome',
  ];
}

/** What to install on this platform, and how to point the tests at a browser elsewhere. */
export function missingBrowserMessage(platform: NodeJS.Platform, tried: string[]): string {
  const install =
    platform === 'darwin'
      ? 'install Google Chrome (https://www.google.com/chrome/) or Chromium (brew install --cask chromium)'
      : platform === 'win32'
        ? 'install Google Chrome (https://www.google.com/chrome/)'
        : 'install Chromium (Debian/Ubuntu: sudo apt-get install -y chromium, or chromium-browser; Fedora: sudo dnf install chromium)';
  return (
    `The end-to-end tests need Chromium or Chrome and found none: ${install}, ` +
    `or set COLM_CHROMIUM=/path/to/chromium (CHROME_PATH works too). Looked in: ${tried.join(', ')}.`
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface FindBrowserOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  usable?: (path: string) => boolean;
}

/** The browser to launch; throws with what to install when there is none. */
export function findBrowser(options: FindBrowserOptions = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const usable = options.usable ?? isExecutable;
  for (const name of BROWSER_VARIABLES) {
    const path = env[name]?.trim();
    if (!path) continue;
    // A variable the user set is what they meant: a wrong one is an error, not a reason to look elsewhere.
    if (!usable(path)) throw new Error(`${name}=${path} is not an executable file: point it at a Chromium or Chrome binary, or unset it.`);
    return path;
  }
  const candidates = usualBrowserPaths(platform, env);
  const found = candidates.find(usable);
  if (found === undefined) throw new Error(missingBrowserMessage(platform, candidates));
  return found;
}
