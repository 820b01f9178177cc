// The behavioural store suite against SQLite (a fresh file per case).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../src/store/open.js';
import { storeSuite } from './suite.js';

storeSuite(t, {
  name: 'sqlite',
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-store-'));
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'f.db') });
    return {
      store,
      async cleanup() {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
