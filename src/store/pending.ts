// TEMPORARY (session 8 scaffolding, removed when the app and content stores land): stores that
// say they are not there yet, so the Store interface type-checks while they are written.
import type { AppStore, ContentStore } from './types.js';

const missing = (what: string) => () => {
  throw new Error(`${what} store not implemented yet`);
};

export const pendingApps = new Proxy({}, { get: (_t, k) => missing(`apps.${String(k)}`) }) as AppStore;
export const pendingContent = new Proxy({}, { get: (_t, k) => missing(`content.${String(k)}`) }) as ContentStore;
