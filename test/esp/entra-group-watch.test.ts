// An Entra group an ESP policy targets stays watched (its membership synced) while the policy
// targets it, whatever happens to the profiles and compliance policies that target it too; the
// policy deleted or retargeted, the group is unwatched once nothing else targets it. Real
// SQLite file and real PostgreSQL, through the ESP service as the admin API calls it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { EspPolicyService } from '../../src/service/esp/policies.js';
import { freshSchema } from '../helpers/pg.js';

const G1 = '11111111-2222-3333-4444-555555555555';
const G2 = '66666666-7777-8888-9999-000000000000';
const TENANT = 'contoso.onmicrosoft.com';

const backends: Record<string, () => Promise<{ store: Store; cleanup(): Promise<void> }>> = {
  async sqlite() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-esp-watch-'));
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'f.db') });
    return { store, cleanup: async () => (await store.close(), fs.rmSync(dir, { recursive: true, force: true })) };
  },
  async postgres() {
    const s = await freshSchema('esp_watch');
    const store = await openStore({ kind: 'postgres', url: s.url });
    return { store, cleanup: async () => (await store.close(), await s.drop()) };
  },
};

for (const [name, open] of Object.entries(backends)) {
  t.test(`${name}: an ESP policy keeps its Entra group watched`, async (t) => {
    const { store, cleanup } = await open();
    t.teardown(cleanup);
    const policies = new EspPolicyService(store);
    const input = (group: string) => ({
      name: 'Day zero',
      target: { type: 'entraGroup', id: group },
      tenantId: TENANT,
      requiredProfileIds: [],
      timeoutMinutes: 30,
    });
    const watched = async () => (await store.entraGroups.list()).map((g) => g.id).sort();
    const at = new Date().toISOString();
    await store.tenants.create(
      { tenantId: TENANT, cloud: 'standard', audiences: ['https://mdm.fenestra.test'], createdAt: at, updatedAt: at },
      { at, actor: 'admin', action: 'tenant.connect', targetType: 'tenant', targetId: TENANT },
    );

    const p = await policies.create(input(G1), 'admin:test');
    t.same(await watched(), [G1], 'the targeted group is watched');
    t.equal(await store.entraGroups.unwatchIfUntargeted(G1), false, 'not unwatched while the policy targets it');
    t.same(await watched(), [G1]);

    await policies.update(p.id, input(G2), 'admin:test');
    t.same(await watched(), [G2], 'retargeted: the old group unwatched, the new one watched');

    await policies.delete(p.id, 'admin:test');
    t.same(await watched(), [], 'deleted: its group unwatched');
  });
}
