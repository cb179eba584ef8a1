"""Writes test/fixtures/tokenizers/chats.json: the conversations and extra templates of
test/integration/chat-template-parity.test.ts. Run it after changing them here."""
import os
import json
LLAMA2_CHAT = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
MISTRAL_INSTRUCT = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
# Not a real model's template: the Jinja features real templates use (Llama 3.1/3.2's date and
# strftime_now, namespace, loop controls, macros, filters with arguments, Python string methods,
# tojson, tests), written with and without whitespace control so trim_blocks/lstrip_blocks matter.
FEATURES = r"""{{- bos_token }}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{{- "Today Date: " + date_string + "\n" }}
{%- if tools is not none %}{{ "Tools: " + tools | tojson(indent=2) }}{% endif %}
{{- "tools none: " ~ (tools is none) ~ ", documents: " ~ (documents is none) ~ "\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- set ns = namespace(count=0, chars=0) %}
{%- for message in messages %}
    {%- if message.role == 'user' %}{% set ns.count = ns.count + 1 %}{% endif %}
    {%- set ns.chars = ns.chars + message.content | length %}
    {%- if loop.index0 > 20 %}{% break %}{% endif %}
    {%- if message.content == '' %}{% continue %}{% endif %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{% if messages | length > 1 %}
  indented block line {{ loop_var | default('dflt') }}
{% endif %}
    {% for m in messages %}
[{{ loop.index }}/{{ loop.length }}{% if loop.first %} first{% endif %}{% if loop.last %} last{% endif %}] {{ m.role | upper }}
    {% endfor %}
{{- '[' ~ ns.count ~ ' user turns, ' ~ ns.chars ~ ' chars, ' ~ messages | length ~ ' messages, last role ' ~ (messages | last).role | upper ~ ']' }}
{{- ' ' ~ messages | map(attribute='role') | join(',') }}
{{- ' ' ~ (messages | selectattr('role', 'equalto', 'user') | list | length) }}
{{- ' ' ~ {"a": 1, "b": [1, 2, none, true], "c": "\u00e9\"<>&"} | tojson }}
{{- ' ' ~ {"z": 1, "a": 2} | tojson(sort_keys=true) }}
{{- ' ' ~ ("Hello World".split(' ') | reverse | join('-')) ~ ' ' ~ "abc def".title() ~ ' ' ~ "  x  ".strip() ~ "|" ~ ("x" * 3) ~ "|" ~ "A_B".replace('_', ' ') ~ "|" ~ "Mixed".lower() ~ "|" ~ ("pre" ~ 5) ~ "|" ~ (7 // 2) ~ "|" ~ (7 % 3) ~ "|" ~ ("ell" in "hello") }}
{{- ' ' ~ messages[0].content[:5] ~ '|' ~ messages[-1].content[-3:] ~ '|' ~ ("abc".startswith("a")) ~ '|' ~ ("abc".endswith("bc")) ~ '|' ~ "a,b,,c".split(",") | length }}
{{- ' ' ~ (messages[0].content is string) ~ (messages[0] is mapping) ~ (messages is iterable) ~ (3 is number) ~ (ns.count is odd) }}
{%- macro render(m, suffix='!') %}<{{ m.role[0] | upper }}{{ suffix }}>{% endmacro %}
{% for m in messages %}{{ render(m) }}{{ render(m, '?') }}{% endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"""
SYSTEM = {"role": "system", "content": "You are a helpful assistant. Answer briefly."}
conversations = {
 "system+user": [SYSTEM, {"role": "user", "content": "What is the capital of France?"}],
 "multi-turn with system": [SYSTEM, {"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help?"}, {"role": "user", "content": "Tell me a joke about cats."}],
 "multi-turn without system": [{"role": "user", "content": "Translate 'good morning' to German."}, {"role": "assistant", "content": "Guten Morgen."}, {"role": "user", "content": "And to Japanese?"}],
 "one user turn": [{"role": "user", "content": "Hello"}],
 "whitespace and unicode": [{"role": "user", "content": "  Grüße, 日本語 and 😀 👨‍👩‍👧  \n\n"}, {"role": "assistant", "content": "\n Ok: e\u0301 ٣ 한국어 \t"}, {"role": "user", "content": "Again\twith tabs\n"}],
 "special tokens written by the user": [{"role": "user", "content": "Say <|im_start|> and <|eot_id|> and <start_of_turn> and </s> literally"}],
 "roles that do not alternate": [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}],
 "assistant turn last, with thinking": [{"role": "user", "content": "Why?"}, {"role": "assistant", "content": "<think>\n  because \n</think>\n\n  Answer with spaces  \n"}],
 "whitespace Python and JavaScript strip differently": [{"role": "user", "content": "\ufeffBOM first, NEL last\x85\x1f"}, {"role": "assistant", "content": "\u3000ideographic\u3000"}, {"role": "user", "content": "UPPER lower"}],
 "assistant with thinking": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "<think>\nsimple sum\n</think>\n\n4"}, {"role": "user", "content": "3+3?"}],
}
templates = {"llama-2-chat": LLAMA2_CHAT, "mistral-instruct": MISTRAL_INSTRUCT, "features": FEATURES}
# Which template each tokenizer is rendered with: its own (tokenizer_config), and the extra ones.
cases = {
 "llama3": ["own", "features"],
 "llama2": ["llama-2-chat", "mistral-instruct", "features"],
 "qwen3": ["own", "features"],
 "gemma3": ["own", "features"],
}
json.dump({"conversations": conversations, "templates": templates, "cases": cases}, open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "tokenizers", "chats.json"), "w"), ensure_ascii=True, indent=1)
