// The response shapes this server writes, as OpenAI defines them, with our `x_colm` extension.

export type OpenAiFinishReason = 'stop' | 'length';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What only a Chain-of-Model engine can say about a reply. */
export interface XColm {
  chains_per_token: number[]; // the chain count that produced each generated token, in order
  prefill_ms: number; // time to read the prompt and pick the first token
  tokens_per_second: number; // decode rate after the first token
  dropped_messages: number; // oldest turns left out so the prompt fits the context (chat only; else 0)
}

/** A finished generation as the formats need it. */
export interface Reply {
  text: string;
  finishReason: OpenAiFinishReason;
  usage: Usage;
  xColm: XColm;
}

/** What every object of one response shares. */
export interface ReplyMeta {
  id: string;
  created: number; // Unix seconds
  model: string;
}

/** How one endpoint writes a reply: whole, or as stream chunks. */
export interface ReplyFormat {
  idPrefix: string;
  whole(meta: ReplyMeta, reply: Reply): object;
  /** The first chunk, before any text (chat: the assistant's role); null if the format has none. */
  opening(meta: ReplyMeta, withUsage: boolean): object | null;
  piece(meta: ReplyMeta, text: string, withUsage: boolean): object;
  closing(meta: ReplyMeta, finishReason: OpenAiFinishReason, withUsage: boolean): object;
  /** The last chunk when the client asked for usage: no choices, only usage. */
  usageChunk(meta: ReplyMeta, usage: Usage): object;
}
