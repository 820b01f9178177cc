// Packages nothing refers to any more are removed from the content store: a deleted version's,
// a deleted app's (unless profiles kept by force still deliver it); never one a version or an app
// profile still names. A collection and an upload of the same bytes at the same moment end with
// either the version and its bytes, or neither (ContentStore.deleteUnless hides the blob while it
// reads the references; the upload checks its bytes are there once its version is added).
// Against a real server on SQLite and on PostgreSQL.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { buildMsix } from '../helpers/packages.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-content-gc-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const pkg = async (name: string, version: string) => {
  const p = await buildMsix(fs.mkdtempSync(path.join(dir, 'p-')), { name, publisher: 'CN=Contoso Ltd, O=Contoso, C=US', version, displayName: name });
  return { bytes: fs.readFileSync(p.file), sha256: p.sha256 };
};
const paint1 = await pkg('Contoso.Paint', '1.0.0.0');
const paint2 = await pkg('Contoso.Paint', '2.0.0.0');
const notes = await pkg('Contoso.Notes', '1.0.0.0');
const clip = await pkg('Contoso.Clip', '1.0.0.0');

async function upload(s: TestServer, body: Buffer, appId?: string) {
  const res = await s.request(appId ? `/api/v1/apps/${appId}/versions?fileName=p.msix` : '/api/v1/apps/packages?fileName=p.msix', {
    connectTo: { host: '127.0.0.1', port: s.server.adminPort ?? s.server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
    body,
  });
  return { status: res.status, json: JSON.parse(res.text()) };
}

async function flow(t: Test, s: TestServer) {
  const content = s.server.store.content;
  const stored = async (sha256: string) => !!(await content.stat(sha256));

  // ---- a deleted version's package goes; the others stay ----
  const a1 = await upload(s, paint1.bytes);
  t.equal(a1.status, 201);
  const id = a1.json.app.id as string;
  const a2 = await upload(s, paint2.bytes, id);
  t.equal(a2.status, 201);
  t.equal((await s.admin('DELETE', `/api/v1/apps/${id}/versions/${a2.json.version.id}`)).status, 204);
  t.notOk(await stored(paint2.sha256), "a deleted version's package is removed");
  t.ok(await stored(paint1.sha256), "the live version's stays");
  const again = await upload(s, paint2.bytes, id);
  t.equal(again.status, 201, 'uploaded again: a version again');
  t.ok(await stored(paint2.sha256), '… with its package');

  // ---- a package an app profile delivers stays, also when its app is deleted by force ----
  t.equal((await s.admin('PUT', `/api/v1/apps/${id}/live`, { versionId: again.json.version.id })).status, 200);
  t.equal((await s.admin('POST', `/api/v1/apps/${id}/assignments`, { targetType: 'all', intent: 'install' })).status, 201);
  t.equal((await s.admin('DELETE', `/api/v1/apps/${id}/versions/${a1.json.version.id}`)).status, 204);
  t.notOk(await stored(paint1.sha256), 'the version no longer live, deleted: removed');
  t.equal((await s.admin('DELETE', `/api/v1/apps/${id}?force=true`)).status, 204);
  t.ok(await stored(paint2.sha256), 'the app deleted by force: the package its profile delivers stays');

  // ---- an app deleted without profiles takes its packages along ----
  const n = await upload(s, notes.bytes);
  t.equal(n.status, 201);
  t.equal((await s.admin('DELETE', `/api/v1/apps/${n.json.app.id}`)).status, 204);
  t.notOk(await stored(notes.sha256), "a deleted app's package is removed");
  t.same(await s.server.store.apps.versions(n.json.app.id), [], '… with its versions');
  const back = await upload(s, notes.bytes);
  t.equal(back.status, 201, 'the same package uploaded again: a new app');
  t.not(back.json.app.id, n.json.app.id);
  t.ok(await stored(notes.sha256));

  // ---- an upload whose bytes a collection removed before its version was added: refused, no version left ----
  const apps = s.server.store.apps;
  const realAdd = apps.addVersion;
  apps.addVersion = async (v) => {
    await realAdd(v);
    apps.addVersion = realAdd;
    // Another replica's collection read the references before this version was there.
    await content.delete(v.sha256!);
  };
  const raced = await upload(s, clip.bytes);
  apps.addVersion = realAdd;
  t.equal(raced.status, 409, 'its bytes gone once its version was added: 409');
  t.match(raced.json.error.message, /removed while it was being added.*send it again/);
  const clipApp = (await s.admin('GET', '/api/v1/apps')).json.find((a: { name: string }) => a.name === 'Contoso.Clip');
  t.same(await apps.versions(clipApp.id), [], 'no version naming missing bytes');
  const sentAgain = await upload(s, clip.bytes);
  t.equal(sentAgain.status, 201, 'sent again: added');
  t.ok(await stored(clip.sha256));

  // ---- the collection's side: hidden while it reads the references, put back when they name it ----
  let during: { stat: boolean; upload: number } | undefined;
  const removed = await content.deleteUnless(notes.sha256, async () => {
    const meanwhile = await upload(s, notes.bytes);
    during = { stat: await stored(notes.sha256), upload: meanwhile.status };
    return (await apps.referencedContent()).has(notes.sha256);
  });
  t.same(during, { stat: true, upload: 200 }, 'an upload of the same bytes meanwhile stores them anew and finds its version');
  t.notOk(removed, 'referenced: not removed');
  const bytes = await content.readAt(notes.sha256, 0, notes.bytes.length);
  t.equal(crypto.createHash('sha256').update(bytes).digest('hex'), notes.sha256, 'the bytes whole after being put back over the new copy');
  let hidden: boolean | undefined;
  t.equal(await content.deleteUnless(paint1.sha256, async () => false), false, 'nothing stored under that hash: nothing removed');
  const keptOut = await content.deleteUnless(clip.sha256, async () => {
    hidden = !(await stored(clip.sha256));
    return true;
  });
  t.equal(hidden, true, 'hidden while the references are read');
  t.notOk(keptOut);
  t.ok(await stored(clip.sha256), 'put back');
  const info = await content.stat(clip.sha256);
  t.ok(await content.deleteUnless(clip.sha256, async () => false), 'unreferenced: removed');
  t.notOk(await stored(clip.sha256));
  t.ok(info, 'it was there before');
}

t.test('content garbage collection on SQLite', async (t) => {
  const s = await startTestServer({}, { database: 'sqlite' });
  t.teardown(() => s.close());
  await flow(t, s);
});

t.test('content garbage collection on PostgreSQL', async (t) => {
  const s = await startTestServer({}, { database: 'postgres' });
  t.teardown(() => s.close());
  await flow(t, s);
});
