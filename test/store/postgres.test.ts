// The behavioural store suite against PostgreSQL (a fresh schema per case, dropped after it),
// and what only several replicas on one database can show: concurrent migrations, command
// claims that two sessions race for, last-seen times flushed out of order.
// PostgreSQL must be reachable (FENESTRA_TEST_PG): without it these cases fail, they do not skip.
import t from 'tap';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { freshSchema } from '../helpers/pg.js';
import { at, cert, command, device, storeSuite, turn } from './suite.js';

storeSuite(t, {
  name: 'postgres',
  async open() {
    const s = await freshSchema('store');
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
  },
});
