// @vitest-environment happy-dom
// Markdown from a model is shown, never executed: HTML stays text, unsafe links stay text,
// and code is highlighted by splitting text only.
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';

import { highlight } from '../../../renderer/markdown/highlight.js';
import { Markdown } from '../../../renderer/markdown/Markdown.js';
import { parseInline, parseMarkdown } from '../../../renderer/markdown/parse-markdown.js';

afterEach(cleanup);

describe('parseMarkdown', () => {
  test('blocks: heading, list, quote, fence, rule, paragraphs', () => {
    const blocks = parseMarkdown('# Title\n\n- one\n- two\n\n> quoted\n\n```js\nlet x = 1;\n```\n\n---\nline one\nline two');
    expect(blocks.map((b) => b.type)).toEqual(['heading', 'list', 'quote', 'code', 'rule', 'paragraph']);
    expect(blocks[3]).toEqual({ type: 'code', lang: 'js', text: 'let x = 1;', closed: true });
    const para = blocks[5]!;
    expect(para.type === 'paragraph' && para.children.map((c) => c.type)).toEqual(['text', 'break', 'text']);
  });

  test('a fence still streaming is an open code block', () => {
    expect(parseMarkdown('Here:\n```py\nprint(1)')).toEqual([
      { type: 'paragraph', children: [{ type: 'text', text: 'Here:' }] },
      { type: 'code', lang: 'py', text: 'print(1)', closed: false },
    ]);
  });

  test('inline: code, strong, em and links; javascript: links stay text', () => {
    expect(parseInline('a `b` **c** *d* [e](https://x.org)')).toEqual([
      { type: 'text', text: 'a ' },
      { type: 'code', text: 'b' },
      { type: 'text', text: ' ' },
      { type: 'strong', children: [{ type: 'text', text: 'c' }] },
      { type: 'text', text: ' ' },
      { type: 'em', children: [{ type: 'text', text: 'd' }] },
      { type: 'text', text: ' ' },
      { type: 'link', href: 'https://x.org', children: [{ type: 'text', text: 'e' }] },
    ]);
    expect(parseInline('[click](javascript:alert(1))')[0]).toEqual({ type: 'text', text: '[click](javascript:alert(1)' });
  });
});

describe('Markdown component', () => {
  test('HTML in a reply is shown as text, not made into elements', () => {
    const { container } = render(<Markdown text={'<img src=x onerror="alert(1)"> <script>alert(2)</script> **bold**'} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.textContent).toContain('<img src=x onerror="alert(1)">');
    expect(container.querySelector('strong')!.textContent).toBe('bold');
  });

  test('code blocks are highlighted and have a copy button', () => {
    const { container, getByLabelText } = render(<Markdown text={'```ts\nconst n = 42; // answer\n```'} />);
    expect(container.querySelector('.tok-keyword')!.textContent).toBe('const');
    expect(container.querySelector('.tok-number')!.textContent).toBe('42');
    expect(container.querySelector('.tok-comment')!.textContent).toBe('// answer');
    expect(getByLabelText('Copy code')).toBeTruthy();
  });
});

test('highlight keeps every character and knows # comments only where they are comments', () => {
  const code = 'x = "a#b"  # note\nreturn 3.5';
  const py = highlight(code, 'python');
  expect(py.map((t) => t.text).join('')).toBe(code);
  expect(py.filter((t) => t.kind === 'comment').map((t) => t.text)).toEqual(['# note']);
  expect(py.filter((t) => t.kind === 'string').map((t) => t.text)).toEqual(['"a#b"']);
  expect(highlight('#include <x.h>', 'c').some((t) => t.kind === 'comment')).toBe(false);
});
