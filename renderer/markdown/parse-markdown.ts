// A small Markdown reader for chat replies: fenced code, headings, lists, quotes, rules and
// paragraphs; inline code, bold, italic and links. It builds a tree, never HTML: the renderer
// turns the tree into React elements, so text from the model can never become markup. A reply
// still streaming may end inside a code fence; that fence is shown open (closed: false).

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'break' };

export type Block =
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'heading'; level: number; children: Inline[] }
  | { type: 'code'; lang: string; text: string; closed: boolean }
  | { type: 'list'; ordered: boolean; start: number; items: Inline[][] }
  | { type: 'quote'; children: Block[] }
  | { type: 'rule' };

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)\s*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^ {0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;

// Links may only lead to the web or mail: a "javascript:" URL from a model must stay text.
const SAFE_URL = /^(https?:|mailto:)/i;

// In order: inline code, **strong**, __strong__, *em*, _em_, [text](url).
const INLINE = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__|\*(?=[^\s*])([\s\S]*?[^\s*])\*|\b_(?=[^\s_])([\s\S]*?[^\s_])_\b|\[([^\]\n]+)\]\(([^)\s]+)\)/;

function textWithBreaks(text: string): Inline[] {
  const out: Inline[] = [];
  text.split('\n').forEach((line, i) => {
    if (i > 0) out.push({ type: 'break' });
    if (line) out.push({ type: 'text', text: line });
  });
  return out;
}

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let rest = text;
  for (;;) {
    const m = INLINE.exec(rest);
    if (!m) break;
    if (m.index > 0) out.push(...textWithBreaks(rest.slice(0, m.index)));
    if (m[1] !== undefined) out.push({ type: 'code', text: m[2]!.replace(/^ (.*) $/, '$1') });
    else if (m[3] !== undefined || m[4] !== undefined) out.push({ type: 'strong', children: parseInline(m[3] ?? m[4]!) });
    else if (m[5] !== undefined || m[6] !== undefined) out.push({ type: 'em', children: parseInline(m[5] ?? m[6]!) });
    else if (SAFE_URL.test(m[8]!)) out.push({ type: 'link', href: m[8]!, children: parseInline(m[7]!) });
    else out.push({ type: 'text', text: m[0] });
    rest = rest.slice(m.index + m[0].length);
  }
  if (rest) out.push(...textWithBreaks(rest));
  return out;
}

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const endParagraph = () => {
    if (paragraph.length > 0) blocks.push({ type: 'paragraph', children: parseInline(paragraph.join('\n')) });
    paragraph = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      endParagraph();
      const marker = fence[1]!;
      const body: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        const l = lines[i]!;
        if (l.trim().startsWith(marker[0]!.repeat(marker.length)) && l.trim().replace(/[`~]/g, '') === '') {
          closed = true;
          break;
        }
        body.push(l);
      }
      blocks.push({ type: 'code', lang: fence[2]!.toLowerCase(), text: body.join('\n'), closed });
      continue;
    }
    if (line.trim() === '') {
      endParagraph();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph();
      blocks.push({ type: 'heading', level: heading[1]!.length, children: parseInline(heading[2]!) });
      continue;
    }
    if (RULE.test(line)) {
      endParagraph();
      blocks.push({ type: 'rule' });
      continue;
    }
    if (QUOTE.test(line)) {
      endParagraph();
      const quoted: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i]!); i++) quoted.push(QUOTE.exec(lines[i]!)![1]!);
      i--;
      blocks.push({ type: 'quote', children: parseMarkdown(quoted.join('\n')) });
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item && paragraph.length === 0) {
      const ordered = /\d/.test(item[1]![0]!);
      const items: string[][] = [];
      for (; i < lines.length; i++) {
        const l = lines[i]!;
        const next = LIST_ITEM.exec(l);
        if (next && /\d/.test(next[1]![0]!) === ordered) items.push([next[2]!]);
        else if (l.trim() !== '' && /^\s{2,}/.test(l) && items.length > 0) items[items.length - 1]!.push(l.trim());
        else break;
      }
      i--;
      blocks.push({ type: 'list', ordered, start: ordered ? parseInt(item[1]!, 10) : 1, items: items.map((it) => parseInline(it.join('\n'))) });
      continue;
    }
    paragraph.push(line);
  }
  endParagraph();
  return blocks;
}
