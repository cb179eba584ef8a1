// Which checkpoint a drop means: one file, one dropped folder, or loose files from one folder;
// anything else is refused with a message that says what to drop instead.
import { expect, test } from 'vitest';

import { checkpointFromDrop } from '../../../app/electron/dropped-paths.js';

test('one file is itself', () => {
  expect(checkpointFromDrop([{ absolutePath: '/m/air4.safetensors', path: 'air4.safetensors' }])).toEqual({ path: '/m/air4.safetensors', name: 'air4.safetensors' });
});

test('the files of a dropped folder (nested too) are that folder', () => {
  const files = [
    { absolutePath: '/home/u/models/air/config.json', path: 'air/config.json' },
    { absolutePath: '/home/u/models/air/weights/model.safetensors', path: 'air/weights/model.safetensors' },
  ];
  expect(checkpointFromDrop(files)).toEqual({ path: '/home/u/models/air', name: 'air' });
});

test('loose files picked from one folder are that folder', () => {
  const files = [
    { absolutePath: '/home/u/models/air/config.json', path: 'config.json' },
    { absolutePath: '/home/u/models/air/model.safetensors', path: 'model.safetensors' },
  ];
  expect(checkpointFromDrop(files)).toEqual({ path: '/home/u/models/air', name: 'air' });
});

test('files from two places, a path that does not match the drop, or a page-made Blob are refused', () => {
  expect(() =>
    checkpointFromDrop([
      { absolutePath: '/a/one/config.json', path: 'one/config.json' },
      { absolutePath: '/b/two/config.json', path: 'two/config.json' },
    ]),
  ).toThrow(/not one checkpoint/);
  expect(() => checkpointFromDrop([{ absolutePath: '/m/other.bin', path: 'air/config.json' }])).toThrow(/not where the drop says/);
  expect(() => checkpointFromDrop([{ absolutePath: '', path: 'made-in-page.safetensors' }])).toThrow(/not a file on this computer/);
  expect(() => checkpointFromDrop([{ absolutePath: 'relative/x', path: 'x' }])).toThrow(/not an absolute path/);
  expect(() => checkpointFromDrop([])).toThrow(/no files/);
});
