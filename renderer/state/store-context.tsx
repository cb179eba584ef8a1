// React access to a window's stores: one context, and a hook per store with a selector, so a
// component re-renders only when the slice it reads changes.
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';

import type { AppStores } from './app-stores.js';
import type { ChatState } from './chat-store.js';
import type { LibraryState } from './library-store.js';
import type { ModelState } from './model-store.js';
import type { PolicyState } from './policy-store.js';
import type { SettingsState } from './settings-store.js';

const StoresContext = createContext<AppStores | null>(null);

export function StoresProvider({ stores, children }: { stores: AppStores; children: ReactNode }) {
  return <StoresContext.Provider value={stores}>{children}</StoresContext.Provider>;
}

export function useStores(): AppStores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error('useStores() outside <StoresProvider>');
  return stores;
}

export function useModel<T>(selector: (state: ModelState) => T): T {
  return useStore(useStores().model, selector);
}

export function useChat<T>(selector: (state: ChatState) => T): T {
  return useStore(useStores().chat, selector);
}

export function useLibrary<T>(selector: (state: LibraryState) => T): T {
  return useStore(useStores().library, selector);
}

export function useSettings<T>(selector: (state: SettingsState) => T): T {
  return useStore(useStores().settings, selector);
}

export function usePolicy<T>(selector: (state: PolicyState) => T): T {
  return useStore(useStores().policy, selector);
}
