// The app catalog through the admin API against a real server (TLS, a real SQLite file; once
// more on PostgreSQL): packages built at test time (wixl MSIs, MSIX zips with a real manifest)
// uploaded as raw streamed bodies, a public package fetched from a fake vendor site over HTTPS,
// Office by configuration, the live version, deployment through app profiles, and hostile input.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { buildMsi, buildMsix, noWixl } from '../helpers/packages.js';
import { startFakeVendor, type FakeVendor } from '../helpers/fake-vendor.js';
import { PUBLIC_HOST, startTestServer, type TestServer } from '../helpers/server.js';

if (noWixl) {
  t.plan(0, noWixl);
  process.exit(0);
}

const LIMIT = 400_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-apps-api-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const upgradeCode = `{${crypto.randomUUID().toUpperCase()}}`;
const v1 = await buildMsi(dir, { name: 'Contoso Notes', version: '1.0.0', manufacturer: 'Contoso Ltd', upgradeCode });
const v2 = await buildMsi(dir, { name: 'Contoso Notes', version: '2.0.0', manufacturer: 'Contoso Ltd', upgradeCode });
const v2other = await buildMsi(fs.mkdtempSync(path.join(dir, 'o-')), { name: 'Contoso Notes', version: '2.0.0', manufacturer: 'Contoso Ltd', upgradeCode });
const perUser = await buildMsi(dir, { name: 'Contoso Clip', version: '3.1.0', manufacturer: 'Contoso Ltd', perUser: true });
const big = await buildMsi(dir, { name: 'Contoso Big', version: '1.0.0', manufacturer: 'Contoso Ltd', payloadBytes: LIMIT * 3 });
const msix = await buildMsix(dir, { name: 'Contoso.Paint', publisher: 'CN=Contoso Ltd, O=Contoso, C=US', version: '1.2.0.0', displayName: 'Contoso Paint' });
const bytes = (p: { file: string }) => fs.readFileSync(p.file);

/** A record as JSON carries it (no undefined fields). */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

interface Reply {
  status: number;
  json: any;
}

/** A package as the raw body (one buffer, with its Content-Length). */
async function post(s: TestServer, p: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<Reply> {
  const res = await s.request(p, {
    connectTo: { host: '127.0.0.1', port: s.server.adminPort ?? s.server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': contentType },
    body,
  });
  const txt = res.text();
  return { status: res.status, json: txt ? JSON.parse(txt) : undefined };
}

/** A package streamed in chunks without a Content-Length (chunked transfer encoding), as a large upload is. */
function postChunked(s: TestServer, p: string, body: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: s.server.adminPort ?? s.server.port,
        servername: PUBLIC_HOST,
        ca: s.caPem,
        method: 'POST',
        path: p,
        headers: { host: PUBLIC_HOST, authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      },
    );
    // The server may answer (413) and close before the whole body is sent.
    req.on('error', reject);
    let i = 0;
    const next = () => {
      while (i < body.length) {
        const piece = body.subarray(i, i + 32 * 1024);
        i += piece.length;
        if (!req.write(piece)) return void req.once('drain', next);
      }
      req.end();
    };
    next();
  });
}

const upload = (s: TestServer, pkg: { file: string }, appId?: string) =>
  post(s, `${appId ? `/api/v1/apps/${appId}/versions` : '/api/v1/apps/packages'}?fileName=${encodeURIComponent(path.basename(pkg.file))}`, bytes(pkg));

async function auditOf(s: TestServer, appId: string): Promise<{ action: string; actor: string; detail?: any }[]> {
  const r = await s.admin('GET', `/api/v1/audit?targetType=app&targetId=${appId}`);
  return r.json.entries ?? r.json;
}

async function catalogFlow(t: Test, s: TestServer, vendor: FakeVendor) {
  // ---- an MSI uploaded: the app made from what the package says --------------------------------
  const first = await upload(s, v1);
  t.equal(first.status, 201, 'a new package: 201');
  const app = first.json.app;
  t.match(app, { kind: 'msi', name: 'Contoso Notes', publisher: 'Contoso Ltd', identity: upgradeCode }, 'name, publisher and UpgradeCode from the package');
  t.match(
    first.json.version,
    {
      version: '1.0.0',
      source: 'upload',
      sha256: v1.sha256,
      size: v1.size,
      fileName: path.basename(v1.file),
      msi: { productCode: v1.productCode, upgradeCode },
    },
    'the version: its ProductCode as msiinfo reads it, the SHA-256 and size of the bytes sent',
  );
  t.equal(app.liveVersionId, first.json.version.id, 'the first version is live');

  const again = await upload(s, v1);
  t.equal(again.status, 200, 'the same package again: 200');
  t.equal(again.json.version.id, first.json.version.id, '… and the same version');

  const second = await upload(s, v2);
  t.equal(second.status, 201, 'a new version of the same product');
  t.equal(second.json.app.id, app.id, 'joins the app of the same UpgradeCode');
  t.equal(second.json.app.liveVersionId, first.json.version.id, 'a later version is not live until chosen');

  const clash = await upload(s, v2other);
  t.equal(clash.status, 409, 'the same version number with other bytes: 409');
  t.match(clash.json.error.message, /version 2\.0\.0 already/);

  const detail = await s.admin('GET', `/api/v1/apps/${app.id}`);
  t.equal(detail.status, 200);
  // Replies are serialized with their schemas, which drop what they do not list: nothing may be missing.
  const { versions: shownVersions, deployments: _d, ...shownApp } = detail.json;
  t.same(shownApp, plain(await s.server.store.apps.get(app.id)), 'the app as stored, every field in the reply');
  t.same(shownVersions, plain(await s.server.store.apps.versions(app.id)), 'the versions as stored, every field (what was read of the MSI too)');
  t.same(
    detail.json.versions.map((v: { version: string }) => v.version),
    ['2.0.0', '1.0.0'],
    'versions newest first',
  );
  const list = await s.admin('GET', '/api/v1/apps');
  t.match(list.json, [{ id: app.id, liveVersion: '1.0.0', versionCount: 2 }], 'listed with its live version');

  // ---- the live version, deleting versions, renaming --------------------------------------------
  const live = await s.admin('PUT', `/api/v1/apps/${app.id}/live`, { versionId: second.json.version.id });
  t.equal(live.status, 200);
  t.equal(live.json.liveVersionId, second.json.version.id, 'version 2 made live');
  const delLive = await s.admin('DELETE', `/api/v1/apps/${app.id}/versions/${second.json.version.id}`);
  t.equal(delLive.status, 409, 'the live version cannot be deleted');
  t.equal((await s.admin('DELETE', `/api/v1/apps/${app.id}/versions/${first.json.version.id}`)).status, 204, 'another version can');
  t.equal((await s.admin('GET', `/api/v1/apps/${app.id}`)).json.versions.length, 1);
  const renamed = await s.admin('PATCH', `/api/v1/apps/${app.id}`, { name: 'Notes', description: 'Note taking' });
  t.match(renamed.json, { name: 'Notes', description: 'Note taking', publisher: 'Contoso Ltd' }, 'renamed by the admin');
  const audit = await auditOf(s, app.id);
  for (const action of ['app.create', 'app.version.add', 'app.live', 'app.version.delete', 'app.change']) {
    t.ok(
      audit.some((e) => e.action === action && e.actor.startsWith('break-glass@')),
      `audited: ${action} by the admin`,
    );
  }

  // ---- a version sent to the wrong app -----------------------------------------------------------
  const wrong = await upload(s, perUser, app.id);
  t.equal(wrong.status, 409, 'a package of another product as a version of this app: 409');
  t.match(wrong.json.error.message, /not a version of "Notes"/);

  // ---- MSIX ----------------------------------------------------------------------------------------
  const paint = await upload(s, msix);
  t.equal(paint.status, 201);
  t.match(paint.json.app, { kind: 'msix', name: 'Contoso Paint', identity: /^Contoso\.Paint_[a-z0-9]{13}$/ }, 'an MSIX app, known by its package family name');
  t.match(paint.json.version.msix, { format: 'msix', version: '1.2.0.0', packageFullName: /^Contoso\.Paint_1\.2\.0\.0_x64__/ });
  t.same(paint.json.version, plain(await s.server.store.apps.version(paint.json.version.id)), 'an MSIX version as stored, every field in the reply');

  // ---- a public package from the vendor's site ----------------------------------------------------
  vendor.file('/dl/clip-3.1.0.msi', bytes(perUser), { chunked: true });
  vendor.redirect('/latest/clip.msi', '/dl/clip-3.1.0.msi');
  const pub = await s.admin('POST', '/api/v1/apps/public', { url: vendor.url('/latest/clip.msi'), sha256: perUser.sha256.toUpperCase() });
  t.equal(pub.status, 201, 'a vendor-hosted package, fetched over HTTPS after a redirect');
  t.match(pub.json.version, { source: 'url', sourceUrl: vendor.url('/latest/clip.msi'), sha256: perUser.sha256, fileName: 'clip-3.1.0.msi' });
  t.match(pub.json.app, { name: 'Contoso Clip', identity: perUser.upgradeCode });
  t.same(pub.json.version, plain(await s.server.store.apps.version(pub.json.version.id)), 'a version from a URL as stored');
  const mismatch = await s.admin('POST', '/api/v1/apps/public', { url: vendor.url('/dl/clip-3.1.0.msi'), sha256: v1.sha256 });
  t.equal(mismatch.status, 422, 'another SHA-256 than pinned: 422');
  t.match(mismatch.json.error.message, new RegExp(`${perUser.sha256}.*${v1.sha256}`), 'naming both hashes');
  vendor.status('/gone.msi', 404);
  const gone = await s.admin('POST', '/api/v1/apps/public', { url: vendor.url('/gone.msi'), sha256: v1.sha256 });
  t.equal(gone.status, 422, 'the vendor answers 404: 422');
  t.match(gone.json.error, { pointer: '/url', message: /HTTP 404/ });
  vendor.redirect('/insecure.msi', 'http://downloads.contoso.test/dl/clip-3.1.0.msi');
  const insecure = await s.admin('POST', '/api/v1/apps/public', { url: vendor.url('/insecure.msi'), sha256: perUser.sha256 });
  t.equal(insecure.status, 422, 'a redirect to http://: refused');

  // ---- deployment through app profiles --------------------------------------------------------------
  const deploy = await s.admin('POST', `/api/v1/apps/${app.id}/assignments`, { targetType: 'all', intent: 'install' });
  t.equal(deploy.status, 201, 'deployed to all');
  t.match(deploy.json, { targetType: 'all', targetId: '*', intent: 'install', scope: 'device' }, 'a per-machine MSI: device scope');
  const clipDeploy = await s.admin('POST', `/api/v1/apps/${pub.json.app.id}/assignments`, { targetType: 'all', intent: 'install' });
  t.match(clipDeploy.json, { scope: 'user' }, 'a per-user MSI (no ALLUSERS): user scope');
  const shown = await s.admin('GET', `/api/v1/apps/${app.id}`);
  t.match(shown.json.deployments, [{ profileId: deploy.json.profileId, intent: 'install', scope: 'device', assignments: [{ targetType: 'all' }] }]);
  const profile = await s.admin('GET', `/api/v1/profiles/${deploy.json.profileId}`);
  t.match(profile.json, { kind: 'app', scope: 'device', settings: { app: app.id, intent: 'install' } }, 'through a profile of kind app');
  const twice = await s.admin('POST', `/api/v1/apps/${app.id}/assignments`, { targetType: 'all', intent: 'install' });
  t.equal(twice.status, 409, 'the same deployment twice: 409');
  const status = await s.admin('GET', `/api/v1/apps/${app.id}/status`);
  t.equal(status.status, 200);
  t.match(status.json, [{ profileId: deploy.json.profileId, intent: 'install', counts: {}, deliveries: [] }], 'no device has checked in yet');
  const before = profile.json.version;
  t.equal((await s.admin('PUT', `/api/v1/apps/${app.id}/live`, { versionId: second.json.version.id })).status, 200, 'the live version again: no change');
  t.equal((await s.admin('GET', `/api/v1/profiles/${deploy.json.profileId}`)).json.version, before, 'no new profile version');
  const back = await upload(s, v1);
  t.equal(back.status, 201, 'a deleted version uploaded again is a version again');
  t.equal((await s.admin('PUT', `/api/v1/apps/${app.id}/live`, { versionId: back.json.version.id })).status, 200, 'made live');
  const reversioned = await s.admin('GET', `/api/v1/profiles/${deploy.json.profileId}`);
  t.equal(reversioned.json.version, before + 1, "the app's profile got a new version…");
  t.match(reversioned.json.context, { app: { versionId: back.json.version.id, sha256: v1.sha256 } }, '… delivering the new live version');
  const blocked = await s.admin('DELETE', `/api/v1/apps/${app.id}`);
  t.equal(blocked.status, 409, 'an app a profile deploys is not deleted');
  t.match(blocked.json.error.message, /deployed by 1 profile/);
  t.equal((await s.admin('DELETE', `/api/v1/apps/${app.id}/assignments`, { targetType: 'all', intent: 'install' })).status, 204, 'undeployed');
  t.equal((await s.admin('DELETE', `/api/v1/apps/${app.id}?force=true`)).status, 204, 'deleted by force');
  t.equal((await s.admin('GET', `/api/v1/apps/${app.id}`)).status, 404, 'gone');
  t.notOk(
    (await s.admin('GET', '/api/v1/apps')).json.some((a: { id: string }) => a.id === app.id),
    'and not listed',
  );
}

async function withServer(t: Test, env: Record<string, string>, database: 'sqlite' | 'postgres') {
  const vendor = await startFakeVendor();
  const s = await startTestServer({ FENESTRA_CONTENT_MAX_BYTES: String(LIMIT), ...vendor.env, ...env }, { database });
  t.teardown(async () => {
    await s.close();
    await vendor.close();
  });
  return { s, vendor };
}

t.test('catalog on SQLite', async (t) => {
  const { s, vendor } = await withServer(t, {}, 'sqlite');
  await catalogFlow(t, s, vendor);
});

t.test('catalog on PostgreSQL', async (t) => {
  const { s, vendor } = await withServer(t, {}, 'postgres');
  await catalogFlow(t, s, vendor);
});

t.test('hostile input', async (t) => {
  const { s, vendor } = await withServer(t, {}, 'sqlite');
  const notPkg = await post(s, '/api/v1/apps/packages', crypto.randomBytes(5000));
  t.equal(notPkg.status, 422, 'not a package: 422');
  t.match(notPkg.json.error.message, /not a package/);
  const text = await post(s, '/api/v1/apps/packages', 'PK\u0003\u0004 not really a zip at all, just text that starts like one');
  t.equal(text.status, 422, 'a zip signature and nothing behind it: 422');
  t.match(text.json.error.message, /cannot be read/);
  const whole = bytes(v1);
  const truncated = await post(s, '/api/v1/apps/packages', whole.subarray(0, Math.floor(whole.length / 2)));
  t.equal(truncated.status, 422, 'a truncated MSI: 422');
  t.match(truncated.json.error.message, /cannot be read \(/, "naming the part the reader found wrong (PackageError's field)");
  const tooBig = await upload(s, big);
  t.equal(tooBig.status, 413, 'over the size limit (Content-Length): 413');
  t.match(tooBig.json.error.message, new RegExp(`limit of ${LIMIT} bytes`), 'naming the limit');
  const tooBigStream = await postChunked(s, '/api/v1/apps/packages', bytes(big));
  t.equal(tooBigStream.status, 413, 'over the size limit while streaming (no Content-Length): 413');
  t.match(tooBigStream.json.error.message, new RegExp(`limit of ${LIMIT} bytes`));
  const streamed = await postChunked(s, '/api/v1/apps/packages', bytes(v1));
  t.equal(streamed.status, 201, 'a package streamed in chunks without a Content-Length is taken');
  t.equal(streamed.json.version.sha256, v1.sha256);
  const json = await post(s, '/api/v1/apps/packages', JSON.stringify({ package: 'x' }), 'application/json');
  t.equal(json.status, 415, 'JSON instead of the package: 415');
  t.match(json.json.error.message, /application\/octet-stream/);
  t.equal((await post(s, '/api/v1/apps/packages', 'hello', 'text/plain')).status, 415, 'text/plain: 415');
  t.equal((await s.admin('POST', '/api/v1/apps/public', { url: vendor.url('/x.msi'), sha256: 'abc' })).status, 400, 'a SHA-256 that is not 64 hex digits: 400');
  const http = await s.admin('POST', '/api/v1/apps/public', { url: 'http://downloads.contoso.test/x.msi', sha256: v1.sha256 });
  t.equal(http.status, 400, 'an http:// URL: 400');
  t.match(http.json.error, { pointer: '/url', message: /https/ });
  t.equal(vendor.requests.length, 0, 'nothing fetched for refused requests');
  vendor.file('/big.msi', bytes(big));
  const bigUrl = await s.admin('POST', '/api/v1/apps/public', { url: vendor.url('/big.msi'), sha256: big.sha256 });
  t.equal(bigUrl.status, 413, 'a vendor package announcing more than the limit: 413');
  t.match(bigUrl.json.error.message, new RegExp(`limit of ${LIMIT} bytes`));
  vendor.file('/big-chunked.msi', bytes(big), { chunked: true });
  const bigChunked = await s.admin('POST', '/api/v1/apps/public', { url: vendor.url('/big-chunked.msi'), sha256: big.sha256 });
  t.equal(bigChunked.status, 413, 'one sent without a Content-Length, past the limit while streaming: 413');
  const office = (configurationXml: string) => s.admin('POST', '/api/v1/apps/office', { name: 'Microsoft 365 Apps', configurationXml });
  const noAdd = await office('<Configuration><Display Level="None"/></Configuration>');
  t.equal(noAdd.status, 422, 'an Office configuration without <Add>: 422');
  t.match(noAdd.json.error, { pointer: '/configurationXml', message: /<Add>/ });
  t.match((await office('<Configuration><Add>')).json.error.message, /not well-formed/, 'not XML: 422 saying so');
  t.match((await office('<Config><Add/></Config>')).json.error.message, /<Configuration>, not <Config>/, 'another root: 422 naming it');
  const good = await office('<Configuration><Add OfficeClientEdition="64" Channel="MonthlyEnterprise"><Product ID="O365ProPlusRetail"/></Add></Configuration>');
  t.equal(good.status, 201, 'a valid configuration');
  t.match(good.json, { app: { kind: 'office', identity: 'MonthlyEnterprise', name: 'Microsoft 365 Apps' }, version: { source: 'office' } });
  const unknown = crypto.randomUUID();
  for (const [method, p, body] of [
    ['GET', `/api/v1/apps/${unknown}`],
    ['PATCH', `/api/v1/apps/${unknown}`, { name: 'x' }],
    ['DELETE', `/api/v1/apps/${unknown}`],
    ['PUT', `/api/v1/apps/${unknown}/live`, { versionId: unknown }],
    ['DELETE', `/api/v1/apps/${unknown}/versions/${unknown}`],
    ['GET', `/api/v1/apps/${unknown}/status`],
    ['POST', `/api/v1/apps/${unknown}/assignments`, { targetType: 'all', intent: 'install' }],
  ] as const) {
    t.equal((await s.admin(method, p, body)).status, 404, `${method} ${p.replace(unknown, ':unknown').replace(unknown, ':unknown')}: 404`);
  }
  t.equal((await upload(s, v1, unknown)).status, 404, 'a version for an unknown app: 404');
  t.equal((await s.admin('PUT', `/api/v1/apps/${good.json.app.id}/live`, { versionId: unknown })).status, 404, 'an unknown version: 404');
});

t.test('permissions: helpdesk reads the catalog, changes nothing', async (t) => {
  const { s } = await withServer(t, {}, 'sqlite');
  const added = await upload(s, v1);
  t.equal(added.status, 201);
  const admin = await s.admin('POST', '/api/v1/admins', {
    username: 'hd',
    displayName: 'Help Desk',
    role: 'helpdesk',
    password: 'correct horse battery staple',
  });
  t.equal(admin.status, 201, JSON.stringify(admin.json));
  const tok = await s.admin('POST', '/api/v1/tokens', { name: 'hd-script', adminId: admin.json.id });
  t.equal(tok.status, 201, JSON.stringify(tok.json));
  const as = async (method: string, p: string, body?: unknown, contentType = 'application/json') => {
    const res = await s.request(p, {
      connectTo: { host: '127.0.0.1', port: s.server.port },
      method,
      headers: { authorization: `Bearer ${tok.json.secret}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    return res.status;
  };
  const id = added.json.app.id;
  t.equal(await as('GET', '/api/v1/apps'), 200, 'lists');
  t.equal(await as('GET', `/api/v1/apps/${id}`), 200, 'shows');
  t.equal(await as('GET', `/api/v1/apps/${id}/status`), 200, 'sees delivery');
  t.equal(await as('POST', '/api/v1/apps/packages', bytes(v2), 'application/octet-stream'), 403, 'uploads nothing');
  t.equal(await as('PATCH', `/api/v1/apps/${id}`, { name: 'x' }), 403, 'renames nothing');
  t.equal(await as('POST', `/api/v1/apps/${id}/assignments`, { targetType: 'all', intent: 'install' }), 403, 'deploys nothing');
  t.equal(await as('DELETE', `/api/v1/apps/${id}`), 403, 'deletes nothing');
  t.equal(await as('POST', `/api/v1/apps/${id}/versions`, bytes(v2), 'application/octet-stream'), 403, 'adds no version');
  t.equal(await as('POST', '/api/v1/apps/public', { url: 'https://downloads.contoso.test/x.msi', sha256: v1.sha256 }), 403, 'adds no public app');
  t.equal(await as('POST', '/api/v1/apps/office', { name: 'Office', configurationXml: '<Configuration><Add/></Configuration>' }), 403, 'adds no Office app');
  t.equal(await as('PUT', `/api/v1/apps/${id}/live`, { versionId: added.json.version.id }), 403, 'chooses no live version');
  t.equal(await as('DELETE', `/api/v1/apps/${id}/versions/${added.json.version.id}`), 403, 'deletes no version');
  t.equal(await as('DELETE', `/api/v1/apps/${id}/assignments`, { targetType: 'all', intent: 'install' }), 403, 'undeploys nothing');
  t.equal((await s.admin('GET', '/api/v1/apps')).json.length, 1, 'the catalog unchanged');
  t.equal((await s.admin('GET', `/api/v1/apps/${id}`)).json.versions.length, 1, '… and its versions');
});
