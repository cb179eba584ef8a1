// One ipcMain.handle per window.colm method. Every call is checked twice before anything runs:
// the sender must be this app's window showing this app's page (not a frame inside it, not a
// page it navigated to), and the arguments must have the method's shape. Failures answer an
// IpcResult error with a name and a message that says what was wrong; nothing is thrown across.
import { basename } from 'node:path';

import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';

import type { AppController } from '../host/app-controller.js';
import { exportConversation, parseImport } from '../library/conversation-export.js';
import type { ConversationStore } from '../library/conversation-store.js';
import type { ExportFormat } from '../library/conversation-types.js';
import { InputError } from '../library/input-error.js';
import type { ModelLibrary } from '../library/model-library.js';
import { expectBoolean, expectChainCount } from '../library/policy-inputs.js';
import { expectId, expectObject, parseConversation } from '../library/validate.js';
import { ChatRelay, sendEvent } from './chat-relay.js';
import type { BatteryReport, ColmInvokeMethod, ExportResult, IpcResult } from './colm-api.js';
import { checkpointFromDrop } from './dropped-paths.js';
import { INVOKE_CHANNELS } from './ipc-channels.js';
import { expectArgs, parseBattery, parseChat, parseExport, parseLoadPath, parseLoadPaths } from './ipc-inputs.js';
import { failure, ok } from './ipc-result.js';
import type { AppOrigin } from './trusted-origin.js';

export interface IpcDeps {
  controller: AppController;
  conversations: ConversationStore;
  library: ModelLibrary;
  origin: AppOrigin;
  /** The app's window: the only web contents allowed to call. */
  window(): BrowserWindow | null;
  saveFile(fileName: string, text: string, format: ExportFormat): Promise<ExportResult>;
  /** Where the page's battery readings go (the policy's ElectronPowerProbe); absent: dropped. */
  onBattery?(battery: BatteryReport): void;
}

type Handler = (event: IpcMainInvokeEvent, args: unknown[]) => Promise<unknown>;

class ForbiddenSender extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Forbidden';
  }
}

/** Why this message must not be answered, or null when it comes from the app's own page. */
export function senderProblem(event: IpcMainInvokeEvent, deps: Pick<IpcDeps, 'origin' | 'window'>): string | null {
  const window = deps.window();
  if (!window || window.isDestroyed() || event.sender.id !== window.webContents.id) return 'the message came from a window this app did not open';
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent !== null) return 'the message came from a frame inside the page';
  if (!deps.origin.isAppUrl(frame.url)) return `the message came from ${frame.url}, not from the app's own page`;
  return null;
}

function notFound(message: string): Error {
  const error = new Error(message);
  error.name = 'NotFound';
  return error;
}

function handlers(deps: IpcDeps): Record<ColmInvokeMethod, Handler> {
  const { controller, conversations, library } = deps;
  const chats = new ChatRelay(controller);
  return {
    getState: async (_event, args) => {
      expectArgs(args, 0);
      return controller.state();
    },
    loadModel: async (event, args) => {
      expectArgs(args, 1);
      const { loadId, path, options } = parseLoadPath(args[0]);
      return controller.load(path, basename(path), (progress) => sendEvent(event.sender, { type: 'loadProgress', loadId, progress }), options);
    },
    loadFiles: async (event, args) => {
      expectArgs(args, 1);
      const { loadId, files, options } = parseLoadPaths(args[0]);
      const { path, name } = checkpointFromDrop(files);
      return controller.load(path, name, (progress) => sendEvent(event.sender, { type: 'loadProgress', loadId, progress }), options);
    },
    chat: async (event, args) => {
      expectArgs(args, 1);
      const { chatId, messages, settings } = parseChat(args[0]);
      chats.start(event.sender, chatId, messages, settings);
      return null;
    },
    stopChat: async (event, args) => {
      expectArgs(args, 1);
      return chats.stop(event.sender, expectId(args[0], 'chatId'));
    },
    listConversations: async (_event, args) => {
      expectArgs(args, 0);
      return conversations.list();
    },
    getConversation: async (_event, args) => {
      expectArgs(args, 1);
      return conversations.get(expectId(args[0], 'the conversation id'));
    },
    saveConversation: async (_event, args) => {
      expectArgs(args, 1);
      const id = expectId(expectObject(args[0], 'the conversation').id, 'the conversation id');
      await conversations.put(parseConversation(args[0], id));
      return null;
    },
    deleteConversation: async (_event, args) => {
      expectArgs(args, 1);
      await conversations.remove(expectId(args[0], 'the conversation id'));
      return null;
    },
    exportConversation: async (_event, args) => {
      expectArgs(args, 1);
      const { id, format } = parseExport(args[0]);
      const conversation = await conversations.get(id);
      if (!conversation) throw notFound(`no conversation "${id}"`);
      const file = exportConversation(conversation, format);
      return deps.saveFile(file.fileName, file.text, format);
    },
    importConversation: async (_event, args) => {
      expectArgs(args, 1);
      const conversation = parseImport(args[0]);
      await conversations.put(conversation);
      return conversation;
    },
    listLibrary: async (_event, args) => {
      expectArgs(args, 0);
      return library.list();
    },
    removeFromLibrary: async (_event, args) => {
      expectArgs(args, 1);
      const id = expectId(args[0], 'the library id');
      if (!(await library.remove(id))) throw notFound(`no model "${id}" in the library`);
      return null;
    },
    setChainAuto: async (_event, args) => {
      expectArgs(args, 1);
      controller.setChainAuto(expectBoolean(args[0], 'auto'));
      return controller.state().policy;
    },
    setManualChains: async (_event, args) => {
      expectArgs(args, 1);
      controller.setManualChains(expectChainCount(args[0], 'chains', controller.host.currentModel?.chainCount ?? null));
      return controller.state().policy;
    },
    setPolicyRules: async (_event, args) => {
      expectArgs(args, 1);
      return controller.setPolicyRules(args[0]);
    },
    reportBattery: async (_event, args) => {
      expectArgs(args, 1);
      deps.onBattery?.(parseBattery(args[0]));
      return null;
    },
  };
}

/** Registers every handler; returns the function that removes them. */
export function registerIpcHandlers(ipcMain: IpcMain, deps: IpcDeps): () => void {
  const table = handlers(deps);
  const methods = Object.keys(table) as ColmInvokeMethod[];
  for (const method of methods) {
    const handler = table[method];
    ipcMain.handle(INVOKE_CHANNELS[method], async (event, ...args: unknown[]): Promise<IpcResult<unknown>> => {
      const problem = senderProblem(event, deps);
      if (problem) {
        console.warn(`colm: refused ${method}: ${problem}`);
        return failure(new ForbiddenSender(`${method} refused: ${problem}`));
      }
      try {
        return ok(await handler(event, args));
      } catch (error) {
        // Name the method, so "path must be a string" says which call it was about.
        if (error instanceof InputError) return failure(new InputError(`${method}: ${error.message}`));
        return failure(error);
      }
    });
  }
  return () => {
    for (const method of methods) ipcMain.removeHandler(INVOKE_CHANNELS[method]);
  };
}
