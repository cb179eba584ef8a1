// The chat store against a fake bridge: streaming into the reply, stop, regenerate, edit,
// errors, and conversations kept across a restart of the window.
import { describe, expect, test } from 'vitest';

import { BridgeError } from '../../../renderer/bridge/types.js';
import { createChatStore } from '../../../renderer/state/chat-store.js';
import { DEFAULT_GENERATION } from '../../../renderer/state/default-settings.js';
import { batch, FakeBridge, memoryStorage, summary, tick } from './fake-bridge.js';

function setup(systemPrompt = '') {
  const bridge = new FakeBridge();
  const storage = memoryStorage();
  const settings = { ...DEFAULT_GENERATION, chains: 2 as const };
  const store = createChatStore({ bridge, storage, generation: () => ({ settings, systemPrompt }), modelName: () => 'tiny' });
  return { bridge, storage, store };
}

describe('chat store', () => {
  test('a sent message streams into a new assistant reply, with chain counts per token, and is saved', async () => {
    const { bridge, store } = setup('Be brief.');
    const sending = store.getState().send('  Hello there  ');
    await tick();
    const chat = bridge.chats[0]!;
    expect(chat.request.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there' },
    ]);
    expect(chat.request.settings.chains).toBe(2);
    expect(store.getState().streaming).toEqual({ messageId: expect.any(String), requestId: 'req-1' });

    chat.handlers.onTokens(batch('Hi', 2));
    chat.handlers.onTokens(batch(' you', 1, 2));
    const reply = store.getState().current.messages[1]!;
    expect(reply.role).toBe('assistant');
    expect(reply.content).toBe('Hi you');
    expect(reply.tokens!.map((t) => t.chains)).toEqual([2, 1, 1]);
    expect(store.getState().live).toMatchObject({ tokensPerSecond: 120, contextUsed: 20, chains: 1 });

    chat.finish(summary('stop', 3));
    await sending;
    const state = store.getState();
    expect(state.streaming).toBeNull();
    expect(state.current.title).toBe('Hello there');
    expect(state.current.messages[1]!.stats).toMatchObject({ finishReason: 'stop', generatedTokens: 3, model: 'tiny' });
    const saved = bridge.conversations.get(state.current.id)!;
    expect(saved.messages.map((m) => m.content)).toEqual(['Hello there', 'Hi you']);
    expect(state.conversations.map((c) => c.id)).toEqual([state.current.id]);
  });

  test('empty messages are not sent, and nothing is sent while a reply streams', async () => {
    const { bridge, store } = setup();
    await store.getState().send('   ');
    expect(bridge.chats).toHaveLength(0);
    const first = store.getState().send('one');
    await tick();
    await store.getState().send('two');
    expect(bridge.chats).toHaveLength(1);
    bridge.chats[0]!.finish();
    await first;
  });

  test('stop asks the bridge to stop the running request; the partial reply stays', async () => {
    const { bridge, store } = setup();
    const sending = store.getState().send('Count to ten');
    await tick();
    bridge.chats[0]!.handlers.onTokens(batch('one two', 4));
    await store.getState().stop();
    await sending;
    expect(bridge.stopped).toEqual(['req-1']);
    const reply = store.getState().current.messages[1]!;
    expect(reply.content).toBe('one two');
    expect(reply.stats?.finishReason).toBe('abort');
    expect(store.getState().streaming).toBeNull();
  });

  test('regenerate replaces the reply; editing a user message drops what followed and asks again', async () => {
    const { bridge, store } = setup();
    bridge.autoReply = { batches: [batch('first', 4)], summary: summary() };
    await store.getState().send('Q1');
    const firstReply = store.getState().current.messages[1]!;

    bridge.autoReply = { batches: [batch('second', 3)], summary: summary() };
    await store.getState().regenerate(firstReply.id);
    let messages = store.getState().current.messages;
    expect(messages.map((m) => m.content)).toEqual(['Q1', 'second']);
    expect(bridge.chats[1]!.request.messages).toEqual([{ role: 'user', content: 'Q1' }]);

    bridge.autoReply = { batches: [batch('third', 1)], summary: summary() };
    await store.getState().editMessage(messages[0]!.id, 'Q1 edited');
    messages = store.getState().current.messages;
    expect(messages.map((m) => m.content)).toEqual(['Q1 edited', 'third']);
    expect(messages[1]!.tokens!.map((t) => t.chains)).toEqual([1]);
    expect(store.getState().current.title).toBe('Q1 edited');
  });

  test('a failed reply keeps the conversation and says why', async () => {
    const { bridge, store } = setup();
    const sending = store.getState().send('Hello');
    await tick();
    bridge.chats[0]!.handlers.onTokens(batch('par', 4));
    bridge.chats[0]!.fail(new BridgeError({ name: 'HostCrashedError', message: 'the engine process was killed by SIGKILL; restarting it' }));
    await sending;
    const state = store.getState();
    expect(state.error).toMatch(/SIGKILL/);
    expect(state.current.messages.map((m) => m.content)).toEqual(['Hello', 'par']);
    expect(state.current.messages[1]!.error).toMatch(/restarting/);
    expect(bridge.conversations.get(state.current.id)!.messages).toHaveLength(2);
    // The next turn sends the whole conversation again, partial reply included.
    bridge.autoReply = { batches: [batch('ok', 4)], summary: summary() };
    await store.getState().send('Again');
    expect(bridge.chats[1]!.request.messages.map((m) => m.content)).toEqual(['Hello', 'par', 'Again']);
  });

  test('the current conversation comes back after a restart; new chat and delete', async () => {
    const { bridge, storage, store } = setup();
    bridge.autoReply = { batches: [batch('hi', 4)], summary: summary() };
    await store.getState().send('Remember me');
    const id = store.getState().current.id;

    const again = createChatStore({ bridge, storage, generation: () => ({ settings: DEFAULT_GENERATION, systemPrompt: '' }), modelName: () => null });
    await again.getState().init();
    expect(again.getState().current.id).toBe(id);
    expect(again.getState().current.messages.map((m) => m.content)).toEqual(['Remember me', 'hi']);
    expect(again.getState().conversations).toHaveLength(1);

    await again.getState().newChat();
    expect(again.getState().current.messages).toHaveLength(0);
    expect(again.getState().current.id).not.toBe(id);
    await again.getState().select(id);
    expect(again.getState().current.id).toBe(id);
    await again.getState().remove(id);
    expect(bridge.conversations.size).toBe(0);
    expect(again.getState().conversations).toHaveLength(0);
    expect(again.getState().current.id).not.toBe(id);
  });
});
