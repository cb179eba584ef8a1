// Chat templates rendered by chat-template.ts (@huggingface/jinja) against transformers'
// apply_chat_template(messages, add_generation_prompt=True), text and ids, for the real tokenizers
// of tokenizer-parity.test.ts with their own templates (Llama 3, Qwen3, Gemma 3), Llama 2 chat and
// Mistral Instruct templates on the SentencePiece tokenizer (its files carry none), and a template
// that uses the Jinja features real templates use (test/fixtures/tokenizers/chats.json). Ids are
// our encode of the rendered text without added special tokens, as the engine does: the BOS the
// template writes is the only one. A template's raise_exception is a ChatTemplateError here and an
// exception there, for the same conversations.

import { beforeAll, describe, expect, it } from 'vitest';
import { ChatTemplateError, chatTemplateFromConfig, renderChat, type ChatMessage } from '../../app/checkpoint/chat-template.js';
import { TextTokenizer } from '../../app/checkpoint/tokenizer.js';
import { runPython } from '../helpers/python.js';
import { addedTokenContents, loadRealTokenizer, REAL_TOKENIZERS, readChatSet, type RealTokenizerName } from '../unit/tokenizer/real-tokenizers.js';

type OracleChat = { text: string; ids: number[]; raw_ids?: number[] } | { error: string };

const CHATS = readChatSet();

interface ChatCase {
  tokenizer: RealTokenizerName;
  templateName: string; // "own": the tokenizer_config's
  conversation: string;
  messages: ChatMessage[];
}

const CASES: ChatCase[] = REAL_TOKENIZERS.flatMap((tokenizer) =>
  CHATS.cases[tokenizer].flatMap((templateName) =>
    Object.entries(CHATS.conversations).map(([conversation, messages]) => ({ tokenizer, templateName, conversation, messages })),
  ),
);

function templateOf(chatCase: ChatCase): string | null {
  return chatCase.templateName === 'own' ? null : CHATS.templates[chatCase.templateName]!;
}

let oracle: Record<RealTokenizerName, { class: string; chats: OracleChat[] }>;

/** Some piece between special tokens starts with a space: see tokenizer-parity.test.ts's header. */
function hasSpaceLedPiece(specials: readonly string[], text: string): boolean {
  let pieces = [text];
  for (const special of specials) pieces = pieces.flatMap((piece) => piece.split(special));
  return pieces.some((piece) => piece.startsWith(' '));
}

beforeAll(() => {
  const request = {
    tokenizers: REAL_TOKENIZERS.map((name) => ({ name, dir: loadRealTokenizer(name).dir })),
    texts: [],
    chats: CASES.map((chatCase) => ({ tokenizer: chatCase.tokenizer, messages: chatCase.messages, template: templateOf(chatCase) })),
  };
  oracle = JSON.parse(runPython('test/python/tokenizer_oracle.py', [], { input: JSON.stringify(request), timeoutMs: 600_000 })) as typeof oracle;
}, 600_000);

describe.each(REAL_TOKENIZERS)('chat templates with tokenizer %s', (name) => {
  const real = loadRealTokenizer(name);
  const tokenizer = TextTokenizer.fromJson(real.tokenizerJson, real.tokenizerConfig, real.label);
  const cases = CASES.filter((chatCase) => chatCase.tokenizer === name);

  function render(chatCase: ChatCase): OracleChat {
    const template = templateOf(chatCase) ?? chatTemplateFromConfig(real.tokenizerConfig);
    try {
      const text = renderChat(chatCase.messages, { template, specialTokens: tokenizer.namedSpecialTokens(), addGenerationPrompt: true });
      return { text, ids: tokenizer.encode(text) };
    } catch (error) {
      if (error instanceof ChatTemplateError) return { error: error.message };
      throw error;
    }
  }

  it.each(CHATS.cases[name])('renders template %s as transformers does, text and ids', (templateName) => {
    const indexed = cases.map((chatCase, index) => ({ chatCase, index })).filter(({ chatCase }) => chatCase.templateName === templateName);
    for (const { chatCase, index } of indexed) {
      const want = oracle[name].chats[index]!;
      const got = render(chatCase);
      const label = `${templateName} / ${chatCase.conversation}`;
      if ('error' in want) {
        expect({ label, refused: 'error' in got }).toEqual({ label, refused: true });
        continue;
      }
      if (!('text' in got)) expect.fail(`${label}: refused here (${got.error}) but rendered by transformers`);
      expect({ label, text: got.text }).toEqual({ label, text: want.text });
      // transformers 5's LlamaTokenizer puts one "▁" fewer in front of a piece that starts with a
      // space than the file, SentencePiece and llama.cpp do; there the file's ids are the oracle.
      const transformersDiverges = oracle[name].class === 'LlamaTokenizer' && hasSpaceLedPiece(addedTokenContents(real.tokenizerJson), got.text);
      expect({ label, ids: got.ids }).toEqual({ label, ids: transformersDiverges ? want.raw_ids : want.ids });
      expect({ label, ids: got.ids }).toEqual({ label, ids: want.raw_ids });
      // One BOS at the start: the template's, never a second one from encode.
      const bos = tokenizer.bosTokenId;
      if (bos !== null) expect({ label, twoBos: got.ids[0] === bos && got.ids[1] === bos }).toEqual({ label, twoBos: false });
    }
  });

  it('refuses what the template refuses, and nothing else', () => {
    const refusedHere = cases.filter((chatCase) => 'error' in render(chatCase)).map((c) => `${c.templateName} / ${c.conversation}`);
    const refusedThere = cases.filter((_, index) => 'error' in oracle[name].chats[index]!).map((c) => `${c.templateName} / ${c.conversation}`);
    expect(refusedHere).toEqual(refusedThere);
  });
});
