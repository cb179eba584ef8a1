// What the API handlers share: the app's state and the two stores under the data folder.
import type { AppController } from '../app-controller.js';
import type { ConversationStore } from '../conversation-store.js';
import type { UploadStore } from '../upload-store.js';

export interface ApiDeps {
  controller: AppController;
  conversations: ConversationStore;
  uploads: UploadStore;
}
