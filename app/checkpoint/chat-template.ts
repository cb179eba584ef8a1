// Conversation -> prompt text, with the model's own Jinja chat template (tokenizer_config's
// chat_template) rendered by @huggingface/jinja, the way transformers' apply_chat_template does:
// variables messages, bos_token, eos_token, add_generation_prompt, and raise_exception().
// Models without a template get a small default, chosen by defaultChatTemplate().

import { Template } from '@huggingface/jinja';
import { isJsonObject, ownValue } from './json-values.js';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface RenderChatOptions {
  template?: string | null; // null or absent: defaultChatTemplate(false)
  bosToken?: string;
  eosToken?: string;
  addGenerationPrompt: boolean; // end with the assistant's turn opened, ready for generation
}

/** A template that does not parse, fails while rendering, or refuses the conversation. */
export class ChatTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatTemplateError';
  }
}

// ChatML, as Qwen and many fine-tunes write it. No BOS: ChatML templates (Qwen's among them) put
// none in front of the first turn, and a model tuned on them has not seen one there.
const CHATML_TEMPLATE =
  '{% for message in messages %}' +
  "{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}" +
  '{% endfor %}' +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// Plain text for base models: a system message is a preamble, turns are "User:" / "Assistant:"
// lines. BOS starts the text, as these models saw at the start of every training document. The
// model's own next "\nUser:" is the natural stop string (PLAIN_CHAT_STOP_STRINGS).
const PLAIN_TEMPLATE =
  '{{ bos_token }}' +
  '{% for message in messages %}' +
  "{% if message.role == 'system' %}{{ message.content + '\\n\\n' }}" +
  "{% elif message.role == 'user' %}{{ 'User: ' + message.content + '\\n' }}" +
  "{% else %}{{ 'Assistant: ' + message.content + '\\n' }}{% endif %}" +
  '{% endfor %}' +
  "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

/** Stop strings that end an assistant turn under the plain default template. */
export const PLAIN_CHAT_STOP_STRINGS = ['\nUser:'];

/** ChatML when the tokenizer has <|im_start|> and <|im_end|> tokens, plain "User:/Assistant:" text otherwise. */
export function defaultChatTemplate(hasChatMlTokens: boolean): string {
  return hasChatMlTokens ? CHATML_TEMPLATE : PLAIN_TEMPLATE;
}

export function hasChatMlTokens(vocabulary: { idOf(token: string): number | null }): boolean {
  return vocabulary.idOf('<|im_start|>') !== null && vocabulary.idOf('<|im_end|>') !== null;
}

/**
 * tokenizer_config's chat_template: a string, or a list of {name, template} where "default" is the
 * chat one (the others, such as "tool_use", need inputs we do not give). Null when there is none.
 */
export function chatTemplateFromConfig(tokenizerConfig: Record<string, unknown> | null): string | null {
  const value = tokenizerConfig === null ? undefined : ownValue(tokenizerConfig, 'chat_template');
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return null;
  const named = value.find((entry) => isJsonObject(entry) && ownValue(entry, 'name') === 'default');
  const template = isJsonObject(named) ? ownValue(named, 'template') : undefined;
  return typeof template === 'string' ? template : null;
}

// raise_exception() from a template means "this conversation is not allowed" (say, roles that do
// not alternate). Our own error class keeps that message apart from bugs in the template. The
// library declares its own raise_exception and refuses a second declaration, but a template-level
// {% set %} may replace it, so one is put in front of the template (on the same line, so that
// line numbers in parse errors stay right).
class TemplateRaised extends Error {}
const RAISE_OVERRIDE = '{% set raise_exception = colm_raise_exception %}';

export function renderChat(messages: readonly ChatMessage[], options: RenderChatOptions): string {
  const source = options.template ?? defaultChatTemplate(false);
  let template: Template;
  try {
    template = new Template(RAISE_OVERRIDE + source);
  } catch (error) {
    throw new ChatTemplateError(`chat template does not parse: ${messageOf(error)}`);
  }
  try {
    return template.render({
      messages: messages.map((message) => ({ role: message.role, content: message.content })),
      bos_token: options.bosToken ?? '',
      eos_token: options.eosToken ?? '',
      add_generation_prompt: options.addGenerationPrompt,
      colm_raise_exception: (message: unknown) => {
        throw new TemplateRaised(String(message));
      },
    });
  } catch (error) {
    if (error instanceof TemplateRaised) throw new ChatTemplateError(`chat template refused the conversation: ${error.message}`);
    throw new ChatTemplateError(`chat template failed to render: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
