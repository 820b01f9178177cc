// A new, empty store on either backend, for the tests of the store itself: a SQLite file in a
// temporary directory of its own, or a fresh schema of the test PostgreSQL (pg.ts). `cleanup`
// closes the store and removes its data (the directory, or the schema).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { freshSchema } from './pg.js';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

export interface FreshStore {
  store: Store;
  cleanup(): Promise<void>;
}

/** `label` names the temporary directory or the schema, to tell whose it is. */
export async function freshStore(kind: StoreKind, label: string): Promise<FreshStore> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fenestra-${label}-`));
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'f.db') });
    return {
      store,
      async cleanup() {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const s = await freshSchema(label);
  let store: Store;
  try {
    store = await openStore({ kind: 'postgres', url: s.url });
  } catch (err) {
    await s.drop();
    throw err;
  }
  return {
    store,
    async cleanup() {
      await store.close();
      await s.drop();
    },
  };
}

/** `fn` on a fresh store of `kind`, cleaned up when it ends, passed or thrown. */
export async function withFreshStore(kind: StoreKind, label: string, fn: (store: Store) => Promise<void>): Promise<void> {
  const { store, cleanup } = await freshStore(kind, label);
  try {
    await fn(store);
  } finally {
    await cleanup();
  }
}

/** A fresh store of `kind` for the test `t`, cleaned up at its end (`t`'s teardown). */
export async function storeFor(t: Pick<Test, 'teardown'>, kind: StoreKind, label: string): Promise<Store> {
  const { store, cleanup } = await freshStore(kind, label);
  t.teardown(cleanup);
  return store;
}

/** `cases` on a fresh store of each backend: the subtests 'sqlite' and 'postgres' of `t`. */
export function onEachStore(t: Test, label: string, cases: (t: Test, store: Store) => Promise<void>): void {
  for (const kind of STORE_KINDS) t.test(kind, async (t) => cases(t, await storeFor(t, kind, label)));
}
