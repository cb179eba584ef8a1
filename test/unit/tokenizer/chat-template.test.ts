// Chat templates: a model's own Jinja template, the defaults, and template errors.

import { describe, expect, it } from 'vitest';
import {
  ChatTemplateError,
  chatTemplateFromConfig,
  defaultChatTemplate,
  hasChatMlTokens,
  renderChat,
  type ChatMessage,
} from '../../../app/checkpoint/chat-template.js';
import { TextTokenizer } from '../../../app/checkpoint/tokenizer.js';
import { gpt2StyleTokenizerConfig, gpt2StyleTokenizerJson, llama2StyleTokenizerConfig, llama2StyleTokenizerJson } from './fixtures.js';

// The Llama 2 chat template as published (shortened to the logic): an optional system message
// folded into the first user turn, and a check that roles alternate.
const LLAMA2_TEMPLATE =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}" +
  '{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}' +
  '{% for message in loop_messages %}' +
  "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
  "{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}" +
  '{% endfor %}';

const userOnly: ChatMessage[] = [{ role: 'user', content: 'Hi there' }];
const withSystem: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi there' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: 'How are you?' },
];

describe('renderChat with a model template', () => {
  const options = { template: LLAMA2_TEMPLATE, bosToken: '<s>', eosToken: '</s>', addGenerationPrompt: true };

  it('renders without a system message', () => {
    expect(renderChat(userOnly, options)).toBe('<s>[INST] Hi there [/INST]');
  });

  it('renders a system message and earlier turns', () => {
    expect(renderChat(withSystem, options)).toBe(
      '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi there [/INST] Hello! </s><s>[INST] How are you? [/INST]',
    );
  });

  it('turns raise_exception into an error that carries the template message', () => {
    const bad: ChatMessage[] = [
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
    ];
    expect(() => renderChat(bad, options)).toThrow(ChatTemplateError);
    expect(() => renderChat(bad, options)).toThrow('chat template refused the conversation: Conversation roles must alternate');
  });

  it('reports a template that does not parse', () => {
    expect(() => renderChat(userOnly, { ...options, template: '{% for m in messages %}{{ m.content }' })).toThrow(
      /^chat template does not parse: /,
    );
  });

  it('reports a template that fails while rendering', () => {
    expect(() => renderChat(userOnly, { ...options, template: '{{ messages[0].content.no_such_method() }}' })).toThrow(
      /^chat template failed to render: /,
    );
  });

  it('passes add_generation_prompt through', () => {
    const template = "{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
    expect(renderChat(userOnly, { template, addGenerationPrompt: true })).toBe('user:Hi there;assistant:');
    expect(renderChat(userOnly, { template, addGenerationPrompt: false })).toBe('user:Hi there;');
  });
});

describe('default chat templates', () => {
  it('uses ChatML when the tokenizer has <|im_start|> and <|im_end|>', () => {
    const gpt2 = TextTokenizer.fromJson(gpt2StyleTokenizerJson(), gpt2StyleTokenizerConfig(), 'tokenizer.json');
    expect(hasChatMlTokens(gpt2)).toBe(true);
    const prompt = renderChat(withSystem.slice(0, 2), { template: defaultChatTemplate(true), addGenerationPrompt: true });
    expect(prompt).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
    const ids = gpt2.encode(prompt);
    expect(ids[0]).toBe(gpt2.idOf('<|im_start|>'));
  });

  it('uses plain "User:/Assistant:" text otherwise, starting with BOS', () => {
    const llama = TextTokenizer.fromJson(llama2StyleTokenizerJson(), llama2StyleTokenizerConfig(), 'tokenizer.json');
    expect(hasChatMlTokens(llama)).toBe(false);
    const options = { template: defaultChatTemplate(false), bosToken: '<s>', addGenerationPrompt: true };
    expect(renderChat(userOnly, options)).toBe('<s>User: Hi there\nAssistant:');
    expect(renderChat(withSystem, options)).toBe('<s>Be brief.\n\nUser: Hi there\nAssistant: Hello!\nUser: How are you?\nAssistant:');
    expect(renderChat(userOnly, { ...options, addGenerationPrompt: false })).toBe('<s>User: Hi there\n');
  });

  it('falls back to the plain template when none is given', () => {
    expect(renderChat(userOnly, { addGenerationPrompt: true })).toBe('User: Hi there\nAssistant:');
    expect(renderChat(userOnly, { template: null, addGenerationPrompt: true })).toBe('User: Hi there\nAssistant:');
  });

  it('keeps message text verbatim (no Jinja evaluation of user content)', () => {
    const tricky: ChatMessage[] = [{ role: 'user', content: '{{ 7*7 }} {% if %} <b>&amp;' }];
    expect(renderChat(tricky, { template: defaultChatTemplate(true), addGenerationPrompt: false })).toBe(
      '<|im_start|>user\n{{ 7*7 }} {% if %} <b>&amp;<|im_end|>\n',
    );
  });
});

describe('chatTemplateFromConfig', () => {
  it('reads a string or the "default" entry of a named list', () => {
    expect(chatTemplateFromConfig({ chat_template: '{{ x }}' })).toBe('{{ x }}');
    expect(
      chatTemplateFromConfig({
        chat_template: [
          { name: 'tool_use', template: 'T' },
          { name: 'default', template: 'D' },
        ],
      }),
    ).toBe('D');
    expect(chatTemplateFromConfig({ chat_template: [{ name: 'rag', template: 'R' }] })).toBeNull();
    expect(chatTemplateFromConfig({})).toBeNull();
    expect(chatTemplateFromConfig(null)).toBeNull();
  });
});
