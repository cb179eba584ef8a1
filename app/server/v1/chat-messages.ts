// OpenAI chat messages as the engine's ChatTurns. Content may be a string or an array of text
// parts (joined); "developer" is the newer name of "system". Images, audio and tool messages
// have no meaning for these models and are refused by name.
import type { ChatRole, ChatTurn } from '../../host/protocol.js';
import { describeValue } from './fields.js';
import { invalidParam } from './openai-error.js';

const ROLES: Record<string, ChatRole> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseContent(value: unknown, role: ChatRole, where: string): string {
  if (typeof value === 'string') return value;
  // An assistant turn that only called tools has no content; as text it is empty.
  if (value === null && role === 'assistant') return '';
  if (!Array.isArray(value)) throw invalidParam(`${where}.content`, `${where}.content must be a string or an array of text parts, got ${describeValue(value)}`, 'invalid_type');
  return value
    .map((part, j) => {
      const at = `${where}.content[${j}]`;
      if (!isObject(part)) throw invalidParam(at, `${at} must be an object`, 'invalid_type');
      if (part.type !== 'text') throw invalidParam(`${at}.type`, `${at}.type: only "text" parts are supported, got ${describeValue(part.type)}`, 'unsupported_value');
      if (typeof part.text !== 'string') throw invalidParam(`${at}.text`, `${at}.text must be a string`, 'invalid_type');
      return part.text;
    })
    .join('\n');
}

export function parseChatMessages(value: unknown): ChatTurn[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidParam('messages', `messages must be a non-empty array, got ${value === undefined ? 'nothing' : describeValue(value)}`, value === undefined ? 'missing_required_parameter' : 'invalid_value');
  }
  return value.map((message, i) => {
    const where = `messages[${i}]`;
    if (!isObject(message)) throw invalidParam(where, `${where} must be an object`, 'invalid_type');
    const role = typeof message.role === 'string' ? ROLES[message.role] : undefined;
    if (role === undefined) {
      const why = message.role === 'tool' || message.role === 'function' ? 'tool messages are not supported' : 'it must be system, developer, user or assistant';
      throw invalidParam(`${where}.role`, `${where}.role ${describeValue(message.role)}: ${why}`, 'unsupported_value');
    }
    if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      throw invalidParam(`${where}.tool_calls`, `${where}.tool_calls: tool calls are not supported`, 'unsupported_parameter');
    }
    return { role, content: parseContent(message.content, role, where) };
  });
}
