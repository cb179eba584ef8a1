// The preload script: the renderer's only way into the app. It runs sandboxed, so it may require
// nothing but 'electron' (the build bundles this file and what it imports into one CommonJS
// file). It exposes window.colm, one method per IPC message, and hands the renderer plain data:
// never ipcRenderer itself, never an IpcRendererEvent (whose `sender` reaches every channel).
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';

import type { ColmApi, ColmEvent, LoadPathsMessage } from './colm-api.js';
import { EVENT_CHANNEL, INVOKE_CHANNELS as C } from './ipc-channels.js';

/** '' for anything that is not a File backed by a file on disk; main then says which one. */
function pathOf(file: File): string {
  try {
    return webUtils.getPathForFile(file);
  } catch {
    return '';
  }
}

const api: ColmApi = {
  getState: () => ipcRenderer.invoke(C.getState),
  loadModel: (request) => ipcRenderer.invoke(C.loadModel, request),
  loadFiles: ({ loadId, files, options }) => {
    // A sandboxed renderer never sees file paths; webUtils reads them off the File objects here.
    // Only the paths cross to main: it checks them like any other input.
    const message: LoadPathsMessage = {
      loadId,
      options,
      files: Array.from(files ?? [], (f) => ({ absolutePath: pathOf(f.file), path: f.path })),
    };
    return ipcRenderer.invoke(C.loadFiles, message);
  },
  chat: (request) => ipcRenderer.invoke(C.chat, request),
  stopChat: (chatId) => ipcRenderer.invoke(C.stopChat, chatId),
  listConversations: () => ipcRenderer.invoke(C.listConversations),
  getConversation: (id) => ipcRenderer.invoke(C.getConversation, id),
  saveConversation: (conversation) => ipcRenderer.invoke(C.saveConversation, conversation),
  deleteConversation: (id) => ipcRenderer.invoke(C.deleteConversation, id),
  exportConversation: (request) => ipcRenderer.invoke(C.exportConversation, request),
  importConversation: (data) => ipcRenderer.invoke(C.importConversation, data),
  listLibrary: () => ipcRenderer.invoke(C.listLibrary),
  removeFromLibrary: (id) => ipcRenderer.invoke(C.removeFromLibrary, id),
  setChainAuto: (auto) => ipcRenderer.invoke(C.setChainAuto, auto),
  setManualChains: (chains) => ipcRenderer.invoke(C.setManualChains, chains),
  setPolicyRules: (rules) => ipcRenderer.invoke(C.setPolicyRules, rules),
  reportBattery: (battery) => ipcRenderer.invoke(C.reportBattery, battery),
  onEvent: (listener) => {
    const forward = (_event: IpcRendererEvent, payload: ColmEvent) => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('colm', api);
