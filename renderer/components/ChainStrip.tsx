// The thin strip under an assistant message: one segment per token, colored by the chain count
// that produced it. Hovering a segment names the token, its chain count and that sub-model's width.
import { useState } from 'react';

import type { ModelInfo, TokenInfo } from '../bridge/types.js';
import { chainColor } from './chain-colors.js';

function describe(tokens: TokenInfo[]): string {
  const counts = new Map<number, number>();
  for (const t of tokens) counts.set(t.chains, (counts.get(t.chains) ?? 0) + 1);
  const parts = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([k, c]) => `${c} at ${k} chain${k === 1 ? '' : 's'}`);
  return `Chain count per token: ${tokens.length} tokens, ${parts.join(', ')}`;
}

function visible(text: string): string {
  return JSON.stringify(text).slice(1, -1) || '(no text yet)';
}

export function ChainStrip({ tokens, model }: { tokens: TokenInfo[]; model: ModelInfo | null }) {
  const [hovered, setHovered] = useState<number | null>(null);
  const chainCount = model?.chainCount ?? Math.max(1, ...tokens.map((t) => t.chains));
  const token = hovered === null ? undefined : tokens[hovered];
  const width = token && model?.subModels[token.chains - 1]?.width;
  return (
    <div className="chain-strip-wrap">
      <div className="chain-strip" role="img" aria-label={describe(tokens)} onMouseLeave={() => setHovered(null)}>
        {tokens.map((t, i) => (
          <span
            key={i}
            className="chain-seg"
            data-chains={t.chains}
            style={{ background: chainColor(t.chains, chainCount) }}
            title={`token ${i + 1}: "${visible(t.text)}" by ${t.chains} chain${t.chains === 1 ? '' : 's'}`}
            onMouseEnter={() => setHovered(i)}
          />
        ))}
      </div>
      {token && (
        <div className="chain-detail" role="status">
          token {hovered! + 1} <code>{visible(token.text)}</code> · {token.chains} of {chainCount} chains
          {width ? ` · width ${width}` : ''}
        </div>
      )}
    </div>
  );
}
