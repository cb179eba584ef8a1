// Conversation -> prompt text, with the model's own Jinja chat template (tokenizer_config's
// chat_template) rendered by @huggingface/jinja, the way transformers' apply_chat_template does:
// variables messages, the named special tokens (bos_token, eos_token, ...), tools and documents
// (none), add_generation_prompt, and raise_exception() and strftime_now().
// Models without a template get a small default, chosen by defaultChatTemplate().

import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { isJsonObject, ownValue } from './json-values.js';

// ---------------------------------------------------------------------------------------------
// Where @huggingface/jinja (pinned) computes differently from Python's jinja2, which transformers
// renders with, the interpreter is corrected here, once, for the operators templates use:
//   str * int and list * int repeat (the library refuses them);
//   ~ writes True/False/None as Python does (the library: "true", or an error for none);
//   == and != compare as Python (the library uses JavaScript's loose ==: undefined == none,
//   1 == "1", and lists or dicts by identity);
//   % and // of integers floor as Python's (JavaScript's % truncates toward zero);
// a printed boolean is True/False; and strings: strip/lstrip/rstrip take their chars argument
// (the library ignores it: Qwen3's reasoning_content.strip('\n')) and strip Python's whitespace
// (the trim filter too), capitalize lowers the rest, and length counts code points, not UTF-16
// units (an emoji is 1). Runtime values are known by their "type" field; the value
// classes are not exported, so their constructors are taken from values the library makes.

interface JinjaValue {
  type: string;
  value: unknown;
  toString(): string;
}
type JinjaValueClass = new (value: unknown) => JinjaValue;
interface JinjaNode {
  type: string;
  operator?: { value: string };
  left?: JinjaNode;
  right?: JinjaNode;
  value?: unknown;
}
interface PatchableInterpreter {
  applyFilter(operand: JinjaValue, filter: JinjaNode, environment: unknown): JinjaValue;
  evaluate(node: JinjaNode, environment: unknown): JinjaValue;
  evaluateBinaryExpression(node: JinjaNode, environment: unknown): JinjaValue;
}

const PRE_EVALUATED = 'ColmPreEvaluated';
const probe = new Environment() as unknown as { set(name: string, value: unknown): JinjaValue };
const valueClass = (sample: unknown): JinjaValueClass => probe.set(`colm_probe_${String(Math.random())}`, sample).constructor as JinjaValueClass;
const StringValue = valueClass('');
const BooleanValue = valueClass(true);
const IntegerValue = valueClass(1);
const ArrayValue = valueClass([]);

function isNumeric(value: JinjaValue): boolean {
  return value.type === 'IntegerValue' || value.type === 'FloatValue' || value.type === 'BooleanValue';
}

/** Python's str() of a value, for ~. */
function pythonStr(value: JinjaValue): string {
  switch (value.type) {
    case 'BooleanValue':
      return value.value ? 'True' : 'False';
    case 'NullValue':
      return 'None';
    case 'UndefinedValue':
      return '';
    default:
      return value.toString();
  }
}

/** Python's ==: numbers (and booleans) by value, strings, None, and lists and dicts item by item. */
function pythonEquals(a: JinjaValue, b: JinjaValue): boolean {
  if (isNumeric(a) && isNumeric(b)) return Number(a.value) === Number(b.value);
  if (a.type !== b.type && !(a.type.endsWith('ArrayValue') && b.type.endsWith('ArrayValue'))) return false;
  if (a.type === 'NullValue' || a.type === 'UndefinedValue') return true;
  if (Array.isArray(a.value) && Array.isArray(b.value)) {
    const left = a.value as JinjaValue[];
    const right = b.value as JinjaValue[];
    return left.length === right.length && left.every((item, i) => pythonEquals(item, right[i]!));
  }
  if (a.value instanceof Map && b.value instanceof Map) {
    const left = a.value as Map<string, JinjaValue>;
    const right = b.value as Map<string, JinjaValue>;
    return left.size === right.size && [...left].every(([key, item]) => right.has(key) && pythonEquals(item, right.get(key)!));
  }
  return a.value === b.value;
}

function repeat(sequence: JinjaValue, times: JinjaValue): JinjaValue | null {
  if (times.type !== 'IntegerValue' && times.type !== 'BooleanValue') return null;
  const count = Math.max(0, Number(times.value));
  if (sequence.type === 'StringValue') return new StringValue((sequence.value as string).repeat(count));
  if (sequence.type === 'ArrayValue') return new ArrayValue(Array.from({ length: count }, () => sequence.value as JinjaValue[]).flat());
  return null;
}

function pythonBinary(operator: string, left: JinjaValue, right: JinjaValue): JinjaValue | null {
  switch (operator) {
    case '==':
      return new BooleanValue(pythonEquals(left, right));
    case '!=':
      return new BooleanValue(!pythonEquals(left, right));
    case '~':
      return new StringValue(pythonStr(left) + pythonStr(right));
    case '*':
      return repeat(left, right) ?? repeat(right, left);
    case '%':
    case '//': {
      if (left.type !== 'IntegerValue' || right.type !== 'IntegerValue' || right.value === 0) return null;
      const a = left.value as number;
      const b = right.value as number;
      return new IntegerValue(operator === '//' ? Math.floor(a / b) : a - b * Math.floor(a / b));
    }
    default:
      return null;
  }
}

const PATCHED_OPERATORS = new Set(['==', '!=', '~', '*', '%', '//']);

// Python's str.isspace() characters, which strip() with no argument removes (JavaScript's trim
// also removes U+FEFF and keeps U+001C..U+001F and U+0085).
const PYTHON_WHITESPACE = new Set([...'\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000']);

function pythonStrip(text: string, chars: JinjaValue | undefined, start: boolean, end: boolean): string {
  const strip = chars !== undefined && chars.type === 'StringValue' ? new Set(chars.value as string) : PYTHON_WHITESPACE;
  const codePoints = [...text];
  let from = 0;
  let to = codePoints.length;
  while (start && from < to && strip.has(codePoints[from]!)) from += 1;
  while (end && to > from && strip.has(codePoints[to - 1]!)) to -= 1;
  return codePoints.slice(from, to).join('');
}

function patchStringMethods(): void {
  const proto = StringValue.prototype as object;
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'builtins');
  const original = descriptor?.get;
  if (original === undefined) throw new Error('@huggingface/jinja: StringValue.builtins not found; chat-template.ts needs an update for this version');
  Object.defineProperty(proto, 'builtins', {
    configurable: true,
    get(this: JinjaValue) {
      const builtins = original.call(this) as Map<string, JinjaValue> & { colmPatched?: boolean };
      if (builtins.colmPatched) return builtins;
      builtins.colmPatched = true;
      const FunctionValue = builtins.get('upper')!.constructor as JinjaValueClass;
      const text = this.value as string;
      const method = (fn: (args: JinjaValue[]) => JinjaValue) => new FunctionValue(fn);
      builtins.set('strip', method((args) => new StringValue(pythonStrip(text, args[0], true, true))));
      builtins.set('lstrip', method((args) => new StringValue(pythonStrip(text, args[0], true, false))));
      builtins.set('rstrip', method((args) => new StringValue(pythonStrip(text, args[0], false, true))));
      builtins.set('capitalize', method(() => {
        const [first = '', ...rest] = [...text];
        return new StringValue(first.toUpperCase() + rest.join('').toLowerCase());
      }));
      builtins.set('length', new IntegerValue([...text].length));
      return builtins;
    },
  });
}

function patchInterpreter(): void {
  const proto = Interpreter.prototype as unknown as PatchableInterpreter & { colmPatched?: boolean };
  if (proto.colmPatched) return;
  proto.colmPatched = true;
  const evaluate = proto.evaluate;
  const evaluateBinaryExpression = proto.evaluateBinaryExpression;
  proto.evaluate = function (node, environment) {
    if (node?.type === PRE_EVALUATED) return node.value as JinjaValue;
    return evaluate.call(this, node, environment);
  };
  proto.evaluateBinaryExpression = function (node, environment) {
    const operator = node.operator?.value ?? '';
    if (!PATCHED_OPERATORS.has(operator)) return evaluateBinaryExpression.call(this, node, environment);
    // Each operand once; what is not corrected here goes to the library with the values found.
    const left = this.evaluate(node.left!, environment);
    const right = this.evaluate(node.right!, environment);
    const result = pythonBinary(operator, left, right);
    if (result !== null) return result;
    const evaluated = { ...node, left: { type: PRE_EVALUATED, value: left }, right: { type: PRE_EVALUATED, value: right } };
    return evaluateBinaryExpression.call(this, evaluated, environment);
  };
  const applyFilter = proto.applyFilter;
  proto.applyFilter = function (operand, filter, environment) {
    // jinja2's trim is str.strip(chars), chars given as trim('x') or by default whitespace.
    if (operand.type === 'StringValue' && filter.type === 'Identifier' && filter.value === 'trim') {
      return new StringValue(pythonStrip(operand.value as string, undefined, true, true));
    }
    return applyFilter.call(this, operand, filter, environment);
  };
  patchStringMethods();
  (BooleanValue.prototype as JinjaValue).toString = function (this: JinjaValue) {
    return this.value ? 'True' : 'False';
  };
}

patchInterpreter();

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface RenderChatOptions {
  template?: string | null; // null or absent: defaultChatTemplate(false)
  /**
   * The tokenizer's named special tokens ({bos_token, eos_token, unk_token, pad_token, ...}, as
   * TextTokenizer.namedSpecialTokens() gives them), which transformers passes to every template.
   */
  specialTokens?: Record<string, string>;
  bosToken?: string; // over specialTokens.bos_token
  eosToken?: string; // over specialTokens.eos_token
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
// strftime_now is replaced the same way: the library's knows few directives and names months in
// the system's locale, where Python's datetime.strftime (transformers) writes C-locale English.
const GLOBAL_OVERRIDES = '{% set raise_exception = colm_raise_exception %}{% set strftime_now = colm_strftime_now %}';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Python's datetime.now().strftime(format) in the C locale, for the directives templates use. */
export function strftimeNow(format: string, now: Date = new Date()): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const startOfYear = new Date(now.getFullYear(), 0, 1);
  const dayOfYear = Math.round((new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime() - startOfYear.getTime()) / 86_400_000) + 1;
  const hour12 = now.getHours() % 12 === 0 ? 12 : now.getHours() % 12;
  const directives: Record<string, () => string> = {
    a: () => WEEKDAYS[now.getDay()]!.slice(0, 3),
    A: () => WEEKDAYS[now.getDay()]!,
    w: () => String(now.getDay()),
    d: () => pad(now.getDate()),
    b: () => MONTHS[now.getMonth()]!.slice(0, 3),
    B: () => MONTHS[now.getMonth()]!,
    m: () => pad(now.getMonth() + 1),
    y: () => pad(now.getFullYear() % 100),
    Y: () => String(now.getFullYear()),
    H: () => pad(now.getHours()),
    I: () => pad(hour12),
    p: () => (now.getHours() < 12 ? 'AM' : 'PM'),
    M: () => pad(now.getMinutes()),
    S: () => pad(now.getSeconds()),
    f: () => pad(now.getMilliseconds() * 1000, 6),
    j: () => pad(dayOfYear, 3),
    '%': () => '%',
  };
  // An unknown directive stays as written, as CPython on glibc leaves it.
  return format.replace(/%(.)/gs, (whole, letter: string) => directives[letter]?.() ?? whole);
}

export function renderChat(messages: readonly ChatMessage[], options: RenderChatOptions): string {
  const source = options.template ?? defaultChatTemplate(false);
  let template: Template;
  try {
    template = new Template(GLOBAL_OVERRIDES + source);
  } catch (error) {
    throw new ChatTemplateError(`chat template does not parse: ${messageOf(error)}`);
  }
  try {
    // As transformers' apply_chat_template: the named special tokens, messages, tools and
    // documents (None: we pass neither), add_generation_prompt.
    const specialTokens: Record<string, string> = { ...options.specialTokens };
    if (options.bosToken !== undefined) specialTokens.bos_token = options.bosToken;
    if (options.eosToken !== undefined) specialTokens.eos_token = options.eosToken;
    return template.render({
      ...specialTokens,
      messages: messages.map((message) => ({ role: message.role, content: message.content })),
      tools: null,
      documents: null,
      add_generation_prompt: options.addGenerationPrompt,
      colm_raise_exception: (message: unknown) => {
        throw new TemplateRaised(String(message));
      },
      colm_strftime_now: (format: unknown) => strftimeNow(String(format)),
    });
  } catch (error) {
    if (error instanceof TemplateRaised) throw new ChatTemplateError(`chat template refused the conversation: ${error.message}`);
    throw new ChatTemplateError(`chat template failed to render: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
