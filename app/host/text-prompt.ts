// Plain text as a prompt, for the OpenAI API's /v1/completions: no chat template, the tokenizer's
// own special tokens around it (BOS for Llama), and only end-of-sequence tokens end the reply.
import type { Model } from '../engine/model.js';

export interface TextPrompt {
  tokens: number[];
  stopStrings: string[];
  stopTokens: number[];
}

export function textPrompt(model: Model, text: string): TextPrompt {
  const tk = model.tokenizer;
  let tokens = tk.encode(text, { addSpecialTokens: true });
  // The engine needs one token to start from; BOS is what an empty prompt means.
  if (tokens.length === 0 && tk.bosTokenId !== null) tokens = [tk.bosTokenId];
  return { tokens, stopStrings: [], stopTokens: [...model.stopTokenIds] };
}
