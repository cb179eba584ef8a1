// Finding the browser for the end-to-end tests on a machine set up any usual way, and saying
// exactly what to install (and which variable to set) when there is none. No browser is started.
import { expect, test } from 'vitest';

import { findBrowser } from './helpers/find-browser.js';

const only = (...paths: string[]) => (path: string) => paths.includes(path);

test('COLM_CHROMIUM comes first, then CHROME_PATH, then the usual places', () => {
  const usable = only('/opt/my/chrome', '/opt/other/chrome', '/usr/bin/chromium');
  expect(findBrowser({ env: { COLM_CHROMIUM: '/opt/my/chrome', CHROME_PATH: '/opt/other/chrome' }, platform: 'linux', usable })).toBe('/opt/my/chrome');
  expect(findBrowser({ env: { CHROME_PATH: '/opt/other/chrome' }, platform: 'linux', usable })).toBe('/opt/other/chrome');
  expect(findBrowser({ env: {}, platform: 'linux', usable })).toBe('/usr/bin/chromium');
});

test.each([
  ['linux', '/usr/bin/chromium-browser'],
  ['linux', '/usr/bin/google-chrome'],
  ['linux', '/usr/bin/google-chrome-stable'],
  ['linux', '/snap/bin/chromium'],
  ['darwin', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'],
  ['darwin', '/Applications/Chromium.app/Contents/MacOS/Chromium'],
] as const)('%s: finds %s', (platform, path) => {
  expect(findBrowser({ env: {}, platform, usable: only(path) })).toBe(path);
});

test('a variable that names no executable is an error naming it', () => {
  expect(() => findBrowser({ env: { COLM_CHROMIUM: '/nowhere/chrome' }, platform: 'linux', usable: only('/usr/bin/chromium') })).toThrow(
    'COLM_CHROMIUM=/nowhere/chrome is not an executable file',
  );
});

test('none found: the error says what to install and which variable to set', () => {
  const linux = () => findBrowser({ env: {}, platform: 'linux', usable: only() });
  expect(linux).toThrow(/sudo apt-get install -y chromium/);
  expect(linux).toThrow(/set COLM_CHROMIUM=\/path\/to\/chromium/);
  expect(linux).toThrow(/Looked in: \/usr\/bin\/chromium, \/usr\/bin\/chromium-browser/);
  expect(() => findBrowser({ env: {}, platform: 'darwin', usable: only() })).toThrow(/install Google Chrome .*brew install --cask chromium.*COLM_CHROMIUM/);
});

test('this machine: a browser is found, or the message says what to do', () => {
  try {
    expect(findBrowser()).toMatch(/\S/);
  } catch (error) {
    expect((error as Error).message).toMatch(/COLM_CHROMIUM/);
  }
});
