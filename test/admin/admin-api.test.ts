// The admin REST API over real HTTPS: tenants (connect, change, disconnect) and their audit
// trail, enrollment accounts, devices, the OpenAPI document and the health endpoints.
import crypto from 'node:crypto';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startTestServer } from '../helpers/server.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

t.test('admin API', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const actor = /^break-glass@(127\.0\.0\.1|::ffff:127\.0\.0\.1)$/;

  await t.test('tenants', async (t) => {
    const tid = crypto.randomUUID();
    const created = await s.admin('POST', '/api/v1/tenants', {
      tenantId: tid.toUpperCase(),
      cloud: 'standard',
      audiences: ['https://mdm.contoso.com', ' 11111111-2222-3333-4444-555555555555 ', 'https://mdm.contoso.com'],
      enrollmentUrl: 'https://portal.contoso.com/enroll',
    });
    t.equal(created.status, 201, 'connect: 201');
    t.match(created.json, {
      tenantId: tid,
      cloud: 'standard',
      audiences: ['https://mdm.contoso.com', '11111111-2222-3333-4444-555555555555'],
      enrollmentUrl: 'https://portal.contoso.com/enroll',
      createdAt: ISO,
      updatedAt: ISO,
    });
    t.equal(created.json.tenantId, tid, 'tenant id stored lower-case');
    t.same(created.json.audiences, ['https://mdm.contoso.com', '11111111-2222-3333-4444-555555555555'], 'audiences trimmed and de-duplicated');

    const dup = await s.admin('POST', '/api/v1/tenants', { tenantId: tid, cloud: 'gcc-high', audiences: ['https://x.example'] });
    t.equal(dup.status, 409, 'duplicate: 409');
    t.same(dup.json, { error: { code: 'conflict', message: 'this tenant is already connected' } });
    t.equal(
      (await s.admin('POST', '/api/v1/tenants', { tenantId: tid.toUpperCase(), cloud: 'standard', audiences: ['https://x.example'] })).status,
      409,
      'duplicate in upper case: 409',
    );

    const good = { tenantId: crypto.randomUUID(), cloud: 'standard', audiences: ['https://mdm.contoso.com'] };
    const invalid: [string, Record<string, unknown>, string, RegExp][] = [
      ['bad GUID', { ...good, tenantId: 'contoso.onmicrosoft.com' }, '/tenantId', /tenant ID GUID/],
      ['GUID with braces', { ...good, tenantId: `{${good.tenantId}}` }, '/tenantId', /GUID/],
      ['bad cloud', { ...good, cloud: 'china' }, '/cloud', /allowed values/],
      ['empty audiences', { ...good, audiences: [] }, '/audiences', /fewer than 1 items/],
      ['blank audience', { ...good, audiences: [''] }, '/audiences/0', /fewer than 1 characters/],
      ['audience neither URI nor GUID', { ...good, audiences: ['https://ok.example', 'mdm app'] }, '/audiences/1', /application ID URI/],
      ['too many audiences', { ...good, audiences: Array.from({ length: 17 }, (_, i) => `https://a${i}.example`) }, '/audiences', /more than 16/],
      ['http enrollmentUrl', { ...good, enrollmentUrl: 'http://portal.contoso.com/enroll' }, '/enrollmentUrl', /must use https:\/\//],
      ['relative enrollmentUrl', { ...good, enrollmentUrl: '/enroll' }, '/enrollmentUrl', /absolute URL/],
      ['javascript remediationUrl', { ...good, remediationUrl: 'javascript:alert(1)' }, '/remediationUrl', /https/],
      ['missing cloud', { tenantId: good.tenantId, audiences: good.audiences }, '/cloud', /required property/],
    ];
    for (const [name, body, pointer, message] of invalid) {
      const r = await s.admin('POST', '/api/v1/tenants', body);
      t.equal(r.status, 400, `${name}: 400`);
      t.equal(r.json.error.code, 'invalid', `${name}: code invalid`);
      t.equal(r.json.error.pointer, pointer, `${name}: pointer ${pointer}`);
      t.match(r.json.error.message, message, `${name}: message`);
    }

    const list = await s.admin('GET', '/api/v1/tenants');
    t.equal(list.status, 200);
    t.same(
      list.json.map((x: { tenantId: string }) => x.tenantId),
      [tid],
      'only the connected tenant is listed',
    );
    const one = await s.admin('GET', `/api/v1/tenants/${tid}`);
    t.equal(one.status, 200);
    t.same(one.json, created.json, 'GET one returns what POST returned');
    t.equal((await s.admin('GET', `/api/v1/tenants/${tid.toUpperCase()}`)).status, 200, 'GET one is case-insensitive');
    const unknown = await s.admin('GET', `/api/v1/tenants/${crypto.randomUUID()}`);
    t.equal(unknown.status, 404, 'unknown tenant: 404');
    t.same(unknown.json, { error: { code: 'not_found', message: 'tenant not found' } });
    t.equal((await s.admin('GET', '/api/v1/tenants/not-a-guid')).status, 404, 'not a GUID: 404');

    // PATCH: audiences, then clear enrollmentUrl with null.
    await new Promise((r) => setTimeout(r, 5));
    const p1 = await s.admin('PATCH', `/api/v1/tenants/${tid}`, { audiences: ['https://mdm2.contoso.com'] });
    t.equal(p1.status, 200, 'change audiences: 200');
    t.same(p1.json.audiences, ['https://mdm2.contoso.com']);
    t.equal(p1.json.enrollmentUrl, 'https://portal.contoso.com/enroll', 'other fields kept');
    t.equal(p1.json.createdAt, created.json.createdAt);
    t.ok(p1.json.updatedAt > created.json.updatedAt, 'updatedAt moves');
    const p2 = await s.admin('PATCH', `/api/v1/tenants/${tid}`, { enrollmentUrl: null });
    t.equal(p2.status, 200, 'clear enrollmentUrl: 200');
    t.notOk('enrollmentUrl' in p2.json, 'enrollmentUrl cleared');
    t.notOk('enrollmentUrl' in (await s.admin('GET', `/api/v1/tenants/${tid}`)).json, 'and stored cleared');
    const same = await s.admin('PATCH', `/api/v1/tenants/${tid}`, { cloud: 'standard' });
    t.equal(same.status, 200, 'a no-op change: 200');
    t.equal(same.json.updatedAt, p2.json.updatedAt, 'a no-op change does not touch updatedAt');
    const empty = await s.admin('PATCH', `/api/v1/tenants/${tid}`, {});
    t.equal(empty.status, 400, 'empty PATCH body: 400');
    t.equal(empty.json.error.code, 'invalid');
    t.match(empty.json.error.message, /fewer than 1 properties/);
    const badPatch = await s.admin('PATCH', `/api/v1/tenants/${tid}`, { enrollmentUrl: 'http://insecure.example' });
    t.equal(badPatch.status, 400, 'PATCH http enrollmentUrl: 400');
    t.equal(badPatch.json.error.pointer, '/enrollmentUrl');
    const idPatch = await s.admin('PATCH', `/api/v1/tenants/${tid}`, { tenantId: crypto.randomUUID() });
    t.equal(idPatch.status, 400, 'the tenant id cannot be changed');
    t.equal(idPatch.json.error.pointer, '/tenantId');
    t.equal((await s.admin('PATCH', `/api/v1/tenants/${crypto.randomUUID()}`, { cloud: 'gcc-high' })).status, 404, 'PATCH unknown: 404');

    const del = await s.admin('DELETE', `/api/v1/tenants/${tid}`);
    t.equal(del.status, 204, 'DELETE: 204');
    t.equal(del.json, undefined, 'no body');
    t.equal((await s.admin('GET', `/api/v1/tenants/${tid}`)).status, 404, 'then GET: 404');
    t.equal((await s.admin('DELETE', `/api/v1/tenants/${tid}`)).status, 404, 'DELETE again: 404');
    t.same((await s.admin('GET', '/api/v1/tenants')).json, [], 'list empty again');

    const audit = await s.admin('GET', '/api/v1/audit');
    t.equal(audit.status, 200);
    const mine = audit.json.entries.filter((e: { targetId: string }) => e.targetId === tid);
    t.same(
      mine.map((e: { action: string }) => e.action),
      ['tenant.disconnect', 'tenant.change', 'tenant.change', 'tenant.connect'],
      'newest first; refused and no-op requests are not audited',
    );
    for (const e of mine) {
      t.match(e.actor, actor, `${e.action}: actor`);
      t.equal(e.targetType, 'tenant');
      t.match(e.at, ISO);
    }
    t.ok(
      mine.every((e: { id: number }, i: number) => i === 0 || e.id < mine[i - 1].id),
      'ids descending',
    );
    t.same(mine[3].detail, { cloud: 'standard', audiences: ['https://mdm.contoso.com', '11111111-2222-3333-4444-555555555555'] }, 'connect detail');
    t.same(
      mine[2].detail,
      {
        audiences: { from: ['https://mdm.contoso.com', '11111111-2222-3333-4444-555555555555'], to: ['https://mdm2.contoso.com'] },
      },
      'change detail: audiences from/to',
    );
    t.same(mine[1].detail, { enrollmentUrl: { from: 'https://portal.contoso.com/enroll', to: null } }, 'change detail: enrollmentUrl cleared');
    t.same(mine[0].detail, { cloud: 'standard' }, 'disconnect detail');
    const page = await s.admin('GET', `/api/v1/audit?limit=2&before=${mine[1].id}`);
    t.same(
      page.json.entries.map((e: { id: number }) => e.id),
      [mine[2].id, mine[3].id],
      'paging with before and limit',
    );
    t.equal((await s.admin('GET', '/api/v1/audit?limit=0')).status, 400, 'limit 0: 400');
  });

  await t.test('enrollment accounts', async (t) => {
    const pw = 'Correct-Horse-Battery-Staple-9';
    const c = await s.admin('POST', '/api/v1/enrollment-accounts', { username: ' alice@contoso.com ', password: pw });
    t.equal(c.status, 201, 'create: 201');
    t.match(c.json, { username: 'alice@contoso.com', createdAt: ISO });
    t.same(Object.keys(c.json).sort(), ['createdAt', 'username'], 'nothing but username and createdAt');
    t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'bob', password: 'another-password' })).status, 201);

    const dup = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'alice@contoso.com', password: 'whatever-password' });
    t.equal(dup.status, 409, 'duplicate: 409');
    t.equal(dup.json.error.code, 'conflict');
    const short = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'carol', password: 'short' });
    t.equal(short.status, 400, 'short password: 400');
    t.equal(short.json.error.pointer, '/password');
    t.match(short.json.error.message, /fewer than 8 characters/);
    const bad = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'carol smith', password: 'long enough password' });
    t.equal(bad.status, 400, 'username with a space: 400');
    t.equal(bad.json.error.pointer, '/username');
    const markup = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'a<b>', password: 'long enough password' });
    t.equal(markup.json.error.pointer, '/username', 'username with markup: /username');
    const missing = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'dave' });
    t.equal(missing.status, 400);
    t.equal(missing.json.error.pointer, '/password');

    const list = await s.admin('GET', '/api/v1/enrollment-accounts');
    t.equal(list.status, 200);
    t.same(list.json.map((a: { username: string }) => a.username).sort(), ['alice@contoso.com', 'bob']);
    for (const a of list.json) t.same(Object.keys(a).sort(), ['createdAt', 'username'], `${a.username}: no password, no hash`);
    const raw = JSON.stringify(list.json);
    t.notOk(raw.includes(pw) || /password|hash|scrypt|argon|\$[0-9a-z]+\$/i.test(raw), 'no secret material in the list');

    t.equal((await s.admin('DELETE', '/api/v1/enrollment-accounts/bob')).status, 204, 'delete: 204');
    t.equal((await s.admin('DELETE', '/api/v1/enrollment-accounts/bob')).status, 404, 'delete again: 404');
    t.same(
      (await s.admin('GET', '/api/v1/enrollment-accounts')).json.map((a: { username: string }) => a.username),
      ['alice@contoso.com'],
    );
    const audit = (await s.admin('GET', '/api/v1/audit?limit=3')).json.entries;
    t.same(
      audit.map((e: { action: string; targetId: string }) => [e.action, e.targetId]),
      [
        ['enrollment-account.delete', 'bob'],
        ['enrollment-account.create', 'bob'],
        ['enrollment-account.create', 'alice@contoso.com'],
      ],
    );
    t.notOk(JSON.stringify(audit).includes(pw), 'no password in the audit log');
  });

  await t.test('devices', async (t) => {
    const list = await s.admin('GET', '/api/v1/devices');
    t.equal(list.status, 200);
    t.same(list.json, { total: 0, devices: [] });
    const unknown = await s.admin('GET', `/api/v1/devices/${crypto.randomUUID()}`);
    t.equal(unknown.status, 404, 'unknown device: 404');
    t.same(unknown.json, { error: { code: 'not_found', message: 'device not found' } });
    t.equal((await s.admin('GET', '/api/v1/devices/7BA748C8-703E-4DF2-A74A-92984117346A')).status, 404, 'unknown client DeviceID: 404');
    t.equal((await s.admin('GET', `/api/v1/devices/${'x'.repeat(257)}`)).status, 414, 'over-long id: 414 (Fastify maxParamLength)');
    const nope = await s.admin('GET', '/api/v1/nothing-here');
    t.equal(nope.status, 404);
    t.same(nope.json, { error: { code: 'not_found', message: 'no such route' } });
  });

  await t.test('OpenAPI document', async (t) => {
    const r = await s.request('/api/v1/openapi.json');
    t.equal(r.status, 200);
    t.match(r.headers['content-type'], /^application\/json/);
    const doc = JSON.parse(r.text());
    t.match(doc.openapi, /^3\.\d+\.\d+$/, 'OpenAPI 3');
    t.equal(doc.info.title, 'fenestra admin API');
    t.ok(doc.paths['/api/v1/tenants']?.get && doc.paths['/api/v1/tenants']?.post, 'lists GET and POST /api/v1/tenants');
    t.ok(doc.paths['/api/v1/tenants/{tenantId}']?.patch, 'and PATCH of one tenant');
    t.ok(doc.paths['/api/v1/enrollment-accounts'], 'enrollment accounts');
    t.ok(doc.paths['/api/v1/devices'], 'devices');
    t.ok(doc.paths['/api/v1/audit'], 'audit');
    t.notOk(doc.paths['/api/v1/openapi.json'], 'the document hides itself');
    t.same(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
    const body = doc.paths['/api/v1/tenants'].post.requestBody.content['application/json'].schema;
    t.same(body.required, ['tenantId', 'cloud', 'audiences'], 'request schema published');
  });

  await t.test('health', async (t) => {
    const h = await s.request('/healthz');
    t.equal(h.status, 200);
    t.same(JSON.parse(h.text()), { status: 'ok' });
    const r = await s.request('/readyz');
    t.equal(r.status, 200);
    t.same(JSON.parse(r.text()), { status: 'ready' });
    t.equal((await s.request('/healthz', { headers: { authorization: 'Bearer wrong' } })).status, 200, 'no token needed');
  });
});

t.test('any admin token the configuration accepts can authenticate', async (t) => {
  const token = 'correct horse battery staple 42';
  // Either loadConfig refuses a token a Bearer header cannot carry, or the API must accept it.
  let refused: ConfigError | undefined;
  try {
    loadConfig({ FENESTRA_ADMIN_TOKEN: token });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    refused = err;
  }
  if (refused) {
    t.match(refused.problems, [/^FENESTRA_ADMIN_TOKEN .*spaces/], 'refused at start-up, naming the variable');
    return;
  }
  const s = await startTestServer({ FENESTRA_ADMIN_TOKEN: token });
  t.teardown(() => s.close());
  t.equal(s.adminToken, token, 'the server started with that token');
  const r = await s.request('/api/v1/tenants', { headers: { authorization: `Bearer ${token}` } });
  t.equal(r.status, 200, 'the configured token is accepted');
  const wrong = await s.request('/api/v1/tenants', { headers: { authorization: 'Bearer correct' } });
  t.equal(wrong.status, 401, 'a prefix of it is not');
});
