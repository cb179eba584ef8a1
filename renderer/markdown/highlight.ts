// Simple code highlighting: comments, strings, numbers and a shared set of keywords from the
// languages models write most. It only splits text into classed pieces; it never makes markup.

export type CodeTokenKind = 'plain' | 'keyword' | 'string' | 'comment' | 'number';

export interface CodeToken {
  kind: CodeTokenKind;
  text: string;
}

const KEYWORDS = new Set(
  (
    'as async await break case catch class const continue def default del do elif else enum export extends ' +
    'false fn for from func function if impl import in interface let loop match mod mut new nil None not null ' +
    'or package pass private protected pub public raise return self static struct super switch this throw ' +
    'true True False try type typeof use var void where while with yield int float double char bool string ' +
    'long unsigned signed auto include define lambda echo then fi done esac local'
  ).split(' '),
);

// Languages where "#" starts a comment (elsewhere it is a preprocessor line, a selector, ...).
const HASH_COMMENTS = new Set(['py', 'python', 'sh', 'bash', 'shell', 'zsh', 'rb', 'ruby', 'yaml', 'yml', 'toml', 'r', 'perl', 'pl', 'make', 'makefile', 'dockerfile']);

function pattern(lang: string): RegExp {
  const comments = ['\\/\\/[^\\n]*', '\\/\\*[\\s\\S]*?(?:\\*\\/|$)', '--(?=\\s)[^\\n]*'];
  if (HASH_COMMENTS.has(lang)) comments.push('#[^\\n]*');
  const strings = '"(?:\\\\[\\s\\S]|[^"\\\\\\n])*"?|\'(?:\\\\[\\s\\S]|[^\'\\\\\\n])*\'?|`(?:\\\\[\\s\\S]|[^`\\\\])*`?';
  const numbers = '\\b(?:0[xX][\\da-fA-F_]+|\\d[\\d_]*(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)\\b';
  const words = '\\b[A-Za-z_][\\w]*\\b';
  return new RegExp(`(${comments.join('|')})|(${strings})|(${numbers})|(${words})`, 'g');
}

export function highlight(code: string, lang: string): CodeToken[] {
  const tokens: CodeToken[] = [];
  const push = (kind: CodeTokenKind, text: string) => {
    const last = tokens[tokens.length - 1];
    if (last && last.kind === kind) last.text += text;
    else tokens.push({ kind, text });
  };
  const re = pattern(lang.toLowerCase());
  let at = 0;
  for (const m of code.matchAll(re)) {
    if (m.index > at) push('plain', code.slice(at, m.index));
    if (m[1] !== undefined) push('comment', m[0]);
    else if (m[2] !== undefined) push('string', m[0]);
    else if (m[3] !== undefined) push('number', m[0]);
    else push(KEYWORDS.has(m[0]) ? 'keyword' : 'plain', m[0]);
    at = m.index + m[0].length;
  }
  if (at < code.length) push('plain', code.slice(at));
  return tokens;
}
