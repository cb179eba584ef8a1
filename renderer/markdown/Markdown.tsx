// Markdown as React elements. Text is only ever a text node, so HTML in a reply shows as text.
import { Fragment, type ReactNode } from 'react';

import { CopyButton } from '../components/CopyButton.js';
import { highlight } from './highlight.js';
import { parseMarkdown, type Block, type Inline } from './parse-markdown.js';

function renderInline(nodes: Inline[]): ReactNode[] {
  return nodes.map((node, i) => {
    switch (node.type) {
      case 'text':
        return <Fragment key={i}>{node.text}</Fragment>;
      case 'break':
        return <br key={i} />;
      case 'code':
        return <code key={i} className="inline-code">{node.text}</code>;
      case 'strong':
        return <strong key={i}>{renderInline(node.children)}</strong>;
      case 'em':
        return <em key={i}>{renderInline(node.children)}</em>;
      case 'link':
        return (
          <a key={i} href={node.href} target="_blank" rel="noopener noreferrer">
            {renderInline(node.children)}
          </a>
        );
    }
  });
}

function CodeBlock({ lang, text }: { lang: string; text: string }) {
  return (
    <div className="code-block">
      <div className="code-header">
        <span className="code-lang">{lang || 'text'}</span>
        <CopyButton text={text} label="Copy code" />
      </div>
      <pre>
        <code>
          {highlight(text, lang).map((t, i) =>
            t.kind === 'plain' ? <Fragment key={i}>{t.text}</Fragment> : <span key={i} className={`tok-${t.kind}`}>{t.text}</span>,
          )}
        </code>
      </pre>
    </div>
  );
}

function renderBlocks(blocks: Block[]): ReactNode[] {
  return blocks.map((block, i) => {
    switch (block.type) {
      case 'paragraph':
        return <p key={i}>{renderInline(block.children)}</p>;
      case 'heading': {
        const Tag = `h${Math.min(6, block.level + 2)}` as 'h3'; // replies sit under the page's own headings
        return <Tag key={i}>{renderInline(block.children)}</Tag>;
      }
      case 'code':
        return <CodeBlock key={i} lang={block.lang} text={block.text} />;
      case 'list': {
        const items = block.items.map((item, j) => <li key={j}>{renderInline(item)}</li>);
        return block.ordered ? <ol key={i} start={block.start}>{items}</ol> : <ul key={i}>{items}</ul>;
      }
      case 'quote':
        return <blockquote key={i}>{renderBlocks(block.children)}</blockquote>;
      case 'rule':
        return <hr key={i} />;
    }
  });
}

export function Markdown({ text }: { text: string }) {
  return <div className="markdown">{renderBlocks(parseMarkdown(text))}</div>;
}
