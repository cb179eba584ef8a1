// What the API handlers share: the app's state and the stores under the data folder.
import type { AppController } from '../../host/app-controller.js';
import type { ConversationStore } from '../../library/conversation-store.js';
import type { ModelLibrary } from '../../library/model-library.js';
import type { UploadStore } from '../upload-store.js';

export interface ApiDeps {
  controller: AppController;
  conversations: ConversationStore;
  uploads: UploadStore;
  library: ModelLibrary;
}
