// The app catalog store (AppStore) on SQLite and PostgreSQL: what the catalog service relies on.
import crypto from 'node:crypto';
import t, { type Test } from 'tap';
import type { AppRecord, AppVersion } from '../../src/domain/app.js';
import { freshStore, STORE_KINDS } from '../helpers/fresh-store.js';

const app = (o: Partial<AppRecord> = {}): AppRecord => ({
  id: crypto.randomUUID(),
  name: 'Contoso Tool',
  kind: 'msi',
  publisher: 'Contoso',
  identity: `{${crypto.randomUUID().toUpperCase()}}`,
  createdAt: '2026-03-01T10:00:00.000Z',
  updatedAt: '2026-03-01T10:00:00.000Z',
  ...o,
});

const version = (appId: string, v: string, s: number, o: Partial<AppVersion> = {}): AppVersion => ({
  id: crypto.randomUUID(),
  appId,
  version: v,
  source: 'upload',
  sha256: crypto.createHash('sha256').update(v).digest('hex'),
  size: 3_000_000_000 + s,
  fileName: `tool-${v}.msi`,
  msi: { productCode: '{11111111-2222-3333-4444-555555555555}', productVersion: v, productName: 'Contoso Tool', manufacturer: 'Contoso', allUsers: '1' },
  createdAt: new Date(Date.parse('2026-03-01T10:00:00.000Z') + s * 1000).toISOString(),
  createdBy: 'admin:a1',
  ...o,
});

for (const kind of STORE_KINDS) {
  t.test(kind, async (t: Test) => {
    const { store, cleanup } = await freshStore(kind, 'apps');
    t.teardown(cleanup);

    const a = app({ name: 'Zeta' });
    const b = app({ name: 'Alpha', kind: 'msix', identity: 'Contoso.Tool_8wekyb3d8bbwe', publisher: undefined });
    await store.apps.create(a);
    await store.apps.create(b);
    t.same(await store.apps.get(a.id), a, 'an app reads back as written');
    t.same(await store.apps.get(b.id), b, 'absent fields stay absent');
    t.same(
      (await store.apps.list()).map((x) => x.name),
      ['Alpha', 'Zeta'],
      'listed by name',
    );
    t.same(await store.apps.byIdentity('msi', a.identity), a, 'found by kind and identity');
    t.equal(await store.apps.byIdentity('msix', a.identity), undefined, 'the kind is part of the identity');
    await t.rejects(store.apps.create(app({ identity: a.identity })), 'a second live app with the same kind and identity is refused');

    const v1 = version(a.id, '1.0.0', 1);
    const v2 = version(a.id, '2.0.0', 2, { source: 'url', sourceUrl: 'https://vendor.example/tool.msi' });
    const off: AppVersion = {
      id: crypto.randomUUID(),
      appId: b.id,
      version: 'Current',
      source: 'office',
      office: { configurationXml: '<Configuration/>', installationId: 'Current' },
      createdAt: '2026-03-01T10:00:03.000Z',
    };
    await store.apps.addVersion(v1);
    await store.apps.addVersion(v2);
    await store.apps.addVersion(off);
    t.same(await store.apps.version(v2.id), v2, 'a version reads back with its metadata and a size above 2^31');
    t.same(await store.apps.version(off.id), off, 'a version without content');
    t.same(
      (await store.apps.versions(a.id)).map((v) => v.version),
      ['2.0.0', '1.0.0'],
      'versions newest first, only the app’s own',
    );
    await t.rejects(store.apps.addVersion(version(a.id, '1.0.0', 4)), 'the same version number twice is refused');
    t.same([...(await store.apps.referencedContent())].sort(), [v1.sha256, v2.sha256].sort(), 'referenced content: the versions’ hashes');

    await store.apps.update(a.id, { liveVersionId: v1.id, name: 'Contoso Tool', description: 'Line of business', updatedAt: '2026-03-02T00:00:00.000Z' });
    const a2 = await store.apps.get(a.id);
    t.match(
      a2,
      { liveVersionId: v1.id, name: 'Contoso Tool', description: 'Line of business', updatedAt: '2026-03-02T00:00:00.000Z', publisher: 'Contoso' },
      'update sets what it is given',
    );
    await store.apps.update(a.id, { description: undefined });
    t.equal((await store.apps.get(a.id))?.description, undefined, 'a field given as undefined is cleared');
    t.equal((await store.apps.get(a.id))?.liveVersionId, v1.id, 'fields not given are kept');

    await store.apps.deleteVersion(v2.id);
    t.equal(await store.apps.version(v2.id), undefined, 'a deleted version is gone');
    t.same([...(await store.apps.referencedContent())], [v1.sha256], 'and its content no longer referenced');

    await store.apps.update(a.id, { deletedAt: '2026-03-03T00:00:00.000Z' });
    t.same(
      (await store.apps.list()).map((x) => x.id),
      [b.id],
      'a deleted app is not listed',
    );
    t.equal(await store.apps.byIdentity('msi', a.identity), undefined, 'nor found by identity');
    t.equal((await store.apps.get(a.id))?.deletedAt, '2026-03-03T00:00:00.000Z', 'but still read by id');
    const again = app({ identity: a.identity });
    await store.apps.create(again);
    t.equal((await store.apps.byIdentity('msi', a.identity))?.id, again.id, 'the identity is free again once deleted');
    t.same([...(await store.apps.referencedContent())], [v1.sha256], 'a deleted app’s versions stay referenced (a profile kept by force may deliver them)');
  });
}
