// Browser mode's entry: the HTTP bridge to `colm serve`, the stores, and the window.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { HttpBridge } from '../bridge/http-bridge.js';
import { App } from '../components/App.js';
import { createAppStores } from '../state/app-stores.js';
import { StoresProvider } from '../state/store-context.js';
import '../styles/app.css';

const stores = createAppStores(new HttpBridge());
void stores.start();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoresProvider stores={stores}>
      <App />
    </StoresProvider>
  </StrictMode>,
);
