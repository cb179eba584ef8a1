// Where chat-template.ts corrects @huggingface/jinja to compute as Python's jinja2 (transformers'
// renderer). The expected strings are what jinja2 3.1 gives for the same template.

import { describe, expect, it } from 'vitest';
import { renderChat, strftimeNow } from '../../../app/checkpoint/chat-template.js';

function render(template: string, content = 'x'): string {
  return renderChat([{ role: 'user', content }], { template, addGenerationPrompt: false });
}

describe('chat templates compute as Python jinja2', () => {
  it('repeats strings and lists with *', () => {
    expect(render("{{ '=' * 3 }}|{{ 2 * 'ab' }}|{{ ([1] * 3) | length }}")).toBe('===|abab|3');
  });

  it('writes booleans and None as Python with ~ and in output', () => {
    expect(render("{{ (1 == 1) ~ '|' ~ none ~ '|' }}{{ 1 > 2 }}")).toBe('True|None|False');
  });

  it('compares as Python: undefined is not none, 1 is not "1", lists by value', () => {
    expect(render("{{ messages[0].missing == none }} {{ 1 == '1' }} {{ [1, 2] == [1, 2] }} {{ 1 == 1.0 }} {{ true == 1 }}")).toBe('False False True True True');
  });

  it('floors % and // as Python', () => {
    expect(render('{{ -7 % 3 }} {{ -7 // 2 }} {{ 7 % -3 }}')).toBe('2 -4 -2');
  });

  it('strips the given characters and Python whitespace', () => {
    expect(render("{{ messages[0].content.strip('\\n') }}|{{ messages[0].content.lstrip('\\n ') }}|{{ messages[0].content.rstrip('\\n') }}", '\n a b \n')).toBe(' a b |a b \n|\n a b ');
    expect(render('[{{ messages[0].content.strip() }}][{{ messages[0].content | trim }}]', '\ufeff x\x85')).toBe('[\ufeff x][\ufeff x]');
  });

  it('counts code points in length and capitalizes as Python', () => {
    expect(render('{{ messages[0].content | length }} {{ messages[0].content.capitalize() }}', '😀aBC')).toBe('4 😀abc');
  });

  it('formats strftime_now in the C locale', () => {
    const date = new Date(2024, 6, 5, 14, 3, 9);
    expect(strftimeNow('%d %b %Y, %A %B %H:%M:%S %I%p %j %y %m %%', date)).toBe('05 Jul 2024, Friday July 14:03:09 02PM 187 24 07 %');
    expect(render('{{ strftime_now("%Y") }}')).toBe(String(new Date().getFullYear()));
  });
});
