// The window's entry: the bridge (IPC in the desktop app, HTTP in browser mode), the stores, the UI.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { pickBridge } from '../bridge/pick-bridge.js';
import { App } from '../components/App.js';
import { createAppStores } from '../state/app-stores.js';
import { StoresProvider } from '../state/store-context.js';
import '../styles/app.css';

const stores = createAppStores(pickBridge(window));
void stores.start();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoresProvider stores={stores}>
      <App />
    </StoresProvider>
  </StrictMode>,
);
