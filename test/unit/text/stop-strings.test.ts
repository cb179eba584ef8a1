// Stop strings over streamed text: nothing of a stop string is shown, however it is split.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../../app/checkpoint/tokenizer.js';
import { StopStringMatcher } from '../../../app/engine/stop-strings.js';
import { TokenTextStream } from '../../../app/engine/text-stream.js';
import { gpt2StyleTokenizerConfig, gpt2StyleTokenizerJson } from '../tokenizer/fixtures.js';

/** Feeds the pieces, then flushes; returns everything shown and whether it stopped. */
function run(stops: string[], pieces: string[]): { shown: string; stopped: boolean; emits: string[] } {
  const matcher = new StopStringMatcher(stops);
  const emits: string[] = [];
  let stopped = false;
  for (const piece of pieces) {
    const result = matcher.push(piece);
    emits.push(result.emit);
    stopped ||= result.stopped;
  }
  emits.push(matcher.flush());
  stopped ||= matcher.stopped; // a stop that completed inside a longer candidate applies at the end
  return { shown: emits.join(''), stopped, emits };
}

/** What must be shown: the text up to the first stop string, or all of it. */
function expectedShown(text: string, stops: string[]): { shown: string; stopped: boolean } {
  let first = -1;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at !== -1 && (first === -1 || at < first)) first = at;
  }
  return first === -1 ? { shown: text, stopped: false } : { shown: text.slice(0, first), stopped: true };
}

/** Cuts text into pieces between code points (as a token stream does), at the given positions. */
function cut(text: string, positions: number[]): string[] {
  const chars = [...text];
  const points = [...new Set(positions.map((p) => p % (chars.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let last = 0;
  for (const point of points) {
    pieces.push(chars.slice(last, point).join(''));
    last = point;
  }
  pieces.push(chars.slice(last).join(''));
  return pieces;
}

describe('StopStringMatcher', () => {
  it('emits text before a stop string in one piece', () => {
    const matcher = new StopStringMatcher(['</s>']);
    expect(matcher.push('hello</s>world')).toEqual({ emit: 'hello', stopped: true, stop: '</s>' });
    expect(matcher.push('more')).toEqual({ emit: '', stopped: true, stop: '</s>' });
    expect(matcher.flush()).toBe('');
  });

  it('holds back a possible start and releases it when it does not become a stop', () => {
    const matcher = new StopStringMatcher(['\nUser:']);
    expect(matcher.push('Sure.\nUs')).toEqual({ emit: 'Sure.', stopped: false, stop: null });
    expect(matcher.push('ually')).toEqual({ emit: '\nUsually', stopped: false, stop: null });
    expect(matcher.push('\n')).toEqual({ emit: '', stopped: false, stop: null });
    expect(matcher.flush()).toBe('\n');
  });

  it('finds a stop string split character by character', () => {
    const result = run(['\nUser:'], [...'Fine.\nUser: next']);
    expect(result.shown).toBe('Fine.');
    expect(result.stopped).toBe(true);
  });

  it('handles a stop string that overlaps itself ("ababc" in "abababc")', () => {
    expect(run(['ababc'], ['abab', 'abc']).shown).toBe('ab');
    expect(run(['aab'], ['a', 'a', 'a', 'b']).shown).toBe('a');
  });

  it('stops at the earliest of several stop strings', () => {
    const result = run(['<|im_end|>', '\n\n'], ['one\n', '\ntwo<|im_end|>']);
    expect(result.shown).toBe('one');
    const matcher = new StopStringMatcher(['END', 'D']);
    expect(matcher.push('abEND')).toEqual({ emit: 'ab', stopped: true, stop: 'END' });
  });

  it('passes text through unchanged without stop strings (empty ones are ignored)', () => {
    expect(run([], ['a', 'b']).emits).toEqual(['a', 'b', '']);
    expect(run([''], ['a', 'b']).emits).toEqual(['a', 'b', '']);
  });

  it('shows exactly the text before the first stop, for any text and any split', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', '\n', '<', '>', 'é', '😀');
    const text = fc.array(alphabet, { maxLength: 30 }).map((chars) => chars.join(''));
    const stop = fc.array(alphabet, { minLength: 1, maxLength: 4 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(text, fc.array(stop, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 8 }), (content, stops, positions) => {
        const result = run(stops, cut(content, positions));
        const expected = expectedShown(content, stops);
        expect(result.shown).toBe(expected.shown);
        expect(result.stopped).toBe(expected.stopped);
      }),
      // A stop completing inside a longer one that started earlier, found by this property once.
      { numRuns: 3000, examples: [['c<a', ['c<a', '<'], [2]], ['xc<', ['c<a', '<'], [3]]] },
    );
  });

  it('stops on a stop string that spans token boundaries in a token stream', () => {
    const tokenizer = TextTokenizer.fromJson(gpt2StyleTokenizerJson(), gpt2StyleTokenizerConfig(), 'tokenizer.json');
    const ids = tokenizer.encode('The answer is 42.\nUser: thanks 😀');
    const stream = new TokenTextStream(tokenizer);
    const matcher = new StopStringMatcher(['\nUser:', '😀']);
    let shown = '';
    for (const id of ids) {
      const result = matcher.push(stream.push(id));
      shown += result.emit;
      if (result.stopped) break;
    }
    expect(shown).toBe('The answer is 42.');
    // And a stop string that only exists as bytes split over two tokens (F0 9F | 98 80).
    const emojiMatcher = new StopStringMatcher(['😀']);
    const emojiStream = new TokenTextStream(tokenizer);
    const results = tokenizer.encode('ok 😀').map((id) => emojiMatcher.push(emojiStream.push(id)));
    expect(results.map((r) => r.emit).join('')).toBe('ok ');
    expect(results.at(-1)?.stopped).toBe(true);
  });
});
