// The IPC channel of each window.colm method, shared by main (ipcMain.handle) and the preload
// (ipcRenderer.invoke). One channel per method: a handler can then check exactly one shape.
import type { ColmInvokeMethod } from './colm-api.js';

export const INVOKE_CHANNELS: Readonly<Record<ColmInvokeMethod, string>> = {
  getState: 'colm:get-state',
  loadModel: 'colm:load-model',
  loadFiles: 'colm:load-files',
  chat: 'colm:chat',
  stopChat: 'colm:stop-chat',
  listConversations: 'colm:list-conversations',
  getConversation: 'colm:get-conversation',
  saveConversation: 'colm:save-conversation',
  deleteConversation: 'colm:delete-conversation',
  exportConversation: 'colm:export-conversation',
  importConversation: 'colm:import-conversation',
  listLibrary: 'colm:list-library',
  removeFromLibrary: 'colm:remove-from-library',
  setChainAuto: 'colm:set-chain-auto',
  setManualChains: 'colm:set-manual-chains',
  setPolicyRules: 'colm:set-policy-rules',
  reportBattery: 'colm:report-battery',
};

/** Main -> renderer: every ColmEvent. */
export const EVENT_CHANNEL = 'colm:event';
