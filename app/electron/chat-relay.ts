// Replies streamed to the window that asked for them. Each chat is named by the renderer's
// chatId; its batches, its end and its failure travel as events on one channel, in order. Only
// the window that started a chat may stop it, and a window that closes stops its chats.
import type { WebContents } from 'electron';

import type { AppController } from '../host/app-controller.js';
import type { GenerationStream } from '../host/generation-stream.js';
import type { ChatTurn, GenerationSettings } from '../host/protocol.js';
import { InputError } from '../library/input-error.js';
import type { ColmEvent } from './colm-api.js';
import { EVENT_CHANNEL } from './ipc-channels.js';
import { failure } from './ipc-result.js';

interface RunningChat {
  stream: GenerationStream;
  ownerId: number; // the webContents that started it
}

export function sendEvent(contents: WebContents, event: ColmEvent): void {
  if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event);
}

export class ChatRelay {
  private readonly chats = new Map<string, RunningChat>();

  constructor(private readonly controller: AppController) {}

  get running(): number {
    return this.chats.size;
  }

  start(owner: WebContents, chatId: string, messages: ChatTurn[], settings: GenerationSettings): void {
    if (this.chats.has(chatId)) throw new InputError(`chat "${chatId}" is already running`);
    if (!this.controller.host.currentModel) {
      const error = new Error('no model is loaded: drop a checkpoint on the window or use Open...');
      error.name = 'NoModelLoaded';
      throw error;
    }
    const stream = this.controller.chat(messages, settings);
    this.chats.set(chatId, { stream, ownerId: owner.id });
    void this.relay(owner, chatId, stream);
  }

  /** True if the chat was running for this window and has been asked to stop. */
  async stop(owner: WebContents, chatId: string): Promise<boolean> {
    const chat = this.chats.get(chatId);
    if (!chat || chat.ownerId !== owner.id) return false;
    await chat.stream.stop();
    return true;
  }

  private async relay(owner: WebContents, chatId: string, stream: GenerationStream): Promise<void> {
    const ownerGone = () => void stream.stop().catch(() => undefined);
    owner.once('destroyed', ownerGone);
    try {
      for await (const batch of stream) sendEvent(owner, { type: 'chatTokens', chatId, batch });
      sendEvent(owner, { type: 'chatDone', chatId, summary: await stream.result });
    } catch (error) {
      sendEvent(owner, { type: 'chatError', chatId, error: failure(error).error });
    } finally {
      this.chats.delete(chatId);
      if (!owner.isDestroyed()) owner.off('destroyed', ownerGone);
    }
  }
}
