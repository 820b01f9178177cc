// Every reply of the admin API matches its schema in the OpenAPI document, field for field.
//
// Fastify serializes replies with their response schemas and leaves out what a schema does not
// list, so a field missing from a schema would silently vanish from the API. This test builds a
// second admin app on the same store as a real test server (the same buildApp, routes and
// services; devices enrolled and checked in through the real server), records each reply as its
// handler returned it (preSerialization) and checks that:
// - the body the client gets equals what the handler returned (nothing dropped);
// - what the handler returned validates against the schema the document declares for that
//   operation and status, with Ajv in strict mode and `additionalProperties: false` added to
//   every object schema that does not say otherwise (a field the schema does not list fails).
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadMaterials } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import { EntraValidator } from '../../src/identity/entra.js';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { ItemCommand, SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { enrollEntraDevice, type EnrolledDevice } from '../helpers/enrolled.js';
import { buildMsix } from '../helpers/packages.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';

type Json = Record<string, unknown>;

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp');
const ROOT_PEM = fs.readFileSync(path.join(FIX, 'test-root-ca.pem'), 'utf8');
const PFX_B64 = fs.readFileSync(path.join(FIX, 'pfx-modern.b64'), 'utf8').trim();
const M = '/ManagementServer/MDM.svc';

/** The second admin app: same configuration, key material and store as the running test server. */
async function replayApp(s: TestServer, record: (r: Recorded) => void): Promise<FastifyInstance> {
  const config = loadConfig({
    FENESTRA_PUBLIC_URL: PUBLIC_URL,
    FENESTRA_LISTEN: '127.0.0.1:0',
    FENESTRA_DATA_DIR: path.join(s.dir, 'data'),
    FENESTRA_CERTS_DIR: path.join(s.dir, 'certs'),
    FENESTRA_ADMIN_TOKEN: s.adminToken,
    FENESTRA_ENTRA_AUTHORITY: s.entra.authority,
    FENESTRA_ENV: 'test',
  });
  const log = pino({ level: 'silent' });
  const m = loadMaterials(config, log);
  const entra = new EntraValidator({ authorityOverride: config.entraAuthority, lookupTenant: async () => undefined });
  const app = await buildApp(
    { config, store: s.server.store, ca: m.ca, entra, adminToken: m.adminToken, secretKey: m.secretKey, logger: log },
    { surfaces: { device: false, admin: true } },
  );
  app.addHook('preSerialization', async (request, reply, payload) => {
    record({ method: request.method, route: request.routeOptions.url ?? '', status: reply.statusCode, payload: JSON.parse(JSON.stringify(payload)) });
    return payload;
  });
  await app.ready();
  return app;
}

interface Recorded {
  method: string;
  route: string;
  status: number;
  payload: unknown;
}

/** Adds `additionalProperties: false` to every object schema that lists properties and does not say (not inside if/not: those only test). */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const s = { ...(schema as Json) };
  if (s.properties && !('additionalProperties' in s)) s.additionalProperties = false;
  for (const k of ['items', 'additionalProperties', 'then', 'else']) if (s[k] && typeof s[k] === 'object') s[k] = closed(s[k]);
  for (const k of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(s[k])) s[k] = closed(s[k]);
  for (const k of ['properties', '$defs']) if (s[k]) s[k] = Object.fromEntries(Object.entries(s[k] as Json).map(([n, v]) => [n, closed(v)]));
  return s;
}

/** References into the document's components, rewritten to the schema registered as `doc`. */
function docRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(docRefs);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Json).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? x.replace('#/components/schemas/', 'doc#/$defs/') : docRefs(x)]),
  );
}

function validators(doc: Json) {
  // Strict: unknown keywords, ignored defaults and the like are errors. Union types (a value or
  // null) are allowed; strictTypes/strictRequired are off because the profile settings schemas use
  // if/then subschemas that name properties defined by their parent.
  const ajv = new Ajv({
    strict: true,
    strictTypes: false,
    strictRequired: false,
    allowUnionTypes: true,
    discriminator: true,
    allErrors: true,
    validateFormats: false,
  });
  ajv.addSchema({ $id: 'doc', $defs: closed(docRefs((doc.components as Json).schemas)) as Json });
  const cache = new Map<string, ValidateFunction>();
  return (schema: unknown, key: string): ValidateFunction => {
    let v = cache.get(key);
    if (!v) cache.set(key, (v = ajv.compile(closed(docRefs(schema)) as Json)));
    return v;
  };
}

/** The schema the document declares for this operation and status (JSON replies). */
function declared(doc: Json, r: { method: string; route: string; status: number }): { operationId: string; schema?: unknown } | undefined {
  const item = (doc.paths as Record<string, Record<string, Json>>)[r.route.replace(/:(\w+)/g, '{$1}')];
  const op = item?.[r.method.toLowerCase()];
  if (!op) return undefined;
  const reply = (op.responses as Record<string, Json>)[String(r.status)];
  const content = reply?.content as Record<string, { schema: unknown }> | undefined;
  return { operationId: op.operationId as string, schema: content?.['application/json']?.schema };
}

/** An OMA-DM session of the device: package 1 (alerts, DevInfo), the server's inventory Get answered. */
async function checkIn(s: TestServer, e: EnrolledDevice): Promise<void> {
  const deviceId = e.dev.deviceId;
  const hdr = (msgId: string) => ({ verDTD: '1.2', verProto: 'DM/1.2', sessionId: '3', msgId, targetUri: s.publicUrl + M, sourceUri: deviceId });
  const post = async (m: SyncMLMessage) => {
    const r = await s.request(`${M}?mode=Maintenance&Platform=WoA`, {
      method: 'POST',
      body: buildSyncML(m),
      headers: { 'content-type': 'application/vnd.syncml.dm+xml' },
      cert: e.certPem,
      key: e.keyPem,
    });
    if (r.status !== 200) throw new Error(`session: ${r.status}`);
    return parseSyncML(r.body);
  };
  const first = await post({
    hdr: hdr('1'),
    final: true,
    body: [
      { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
      { kind: 'Alert', cmdId: '2', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus', format: 'chr' }, data: 'none' }] },
      {
        kind: 'Replace',
        cmdId: '3',
        items: [
          { source: './DevInfo/DevId', data: deviceId },
          { source: './DevInfo/Man', data: 'Contoso' },
          { source: './DevInfo/Mod', data: 'Laptop 9' },
          { source: './DevInfo/Lang', data: 'en-US' },
        ],
      },
    ],
  });
  const get = first.body.find((c) => c.kind === 'Get') as ItemCommand | undefined;
  if (!get) throw new Error('no inventory Get in the first session');
  const answer = (uri: string) =>
    ({
      './DevDetail/SwV': '10.0.22631.4460',
      './DevDetail/Ext/Microsoft/OSPlatform': 'Windows 11 Enterprise',
      './DevDetail/Ext/Microsoft/SMBIOSSerialNumber': 'SN-42',
      './DevDetail/Ext/Microsoft/DNSComputerName': 'LAPTOP-42',
      './DevDetail/Ext/Microsoft/TotalRAM': '16384',
      './DevDetail/Ext/Microsoft/ProcessorArchitecture': '9',
    })[uri] ?? 'x';
  await post({
    hdr: hdr('2'),
    final: true,
    body: [
      { kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] },
      { kind: 'Status', cmdId: '2', msgRef: '1', cmdRef: get.cmdId, cmd: 'Get', data: '200', items: [] },
      {
        kind: 'Results',
        cmdId: '3',
        msgRef: '1',
        cmdRef: get.cmdId,
        items: get.items.map((i) => ({ source: i.target, meta: { format: 'chr' }, data: answer(i.target ?? '') })),
      },
    ],
  });
}

t.test('admin API replies match the OpenAPI document, field for field', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const recorded: Recorded[] = [];
  const app = await replayApp(s, (r) => recorded.push(r));
  t.teardown(() => app.close());
  const doc = (await s.admin('GET', '/api/v1/openapi.json')).json as Json;
  const validator = validators(doc);
  /** operationId → statuses checked */
  const checked = new Map<string, Set<number>>();

  /** One admin request to the second app, its reply checked; returns the body. A Buffer body is sent raw (a package). */
  const call = async (method: string, url: string, body?: unknown, expect?: number) => {
    recorded.length = 0;
    const raw = Buffer.isBuffer(body);
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${s.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }),
      },
      payload: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    const name = `${method} ${url} → ${res.statusCode}`;
    if (expect !== undefined) t.equal(res.statusCode, expect, `${name}: ${res.body.slice(0, 300)}`);
    if (res.statusCode === 204) {
      t.equal(res.body, '', `${name}: no body`);
      t.equal(recorded.length, 0);
      return undefined;
    }
    t.equal(recorded.length, 1, `${name}: one reply recorded`);
    const r = recorded[0];
    const json = JSON.parse(res.body);
    t.strictSame(json, r.payload, `${name}: the client gets every field the handler returned`);
    const d = declared(doc, r);
    if (!d) {
      t.fail(`${name}: no operation in the document for ${r.method} ${r.route}`);
      return json;
    }
    if (!d.schema) {
      t.fail(`${name}: ${d.operationId} declares no JSON schema for ${r.status}`);
      return json;
    }
    const v = validator(d.schema, `${d.operationId} ${r.status}`);
    t.ok(v(r.payload), `${name}: ${d.operationId} ${r.status} matches its schema ${JSON.stringify(v.errors?.slice(0, 3))}`);
    if (!checked.has(d.operationId)) checked.set(d.operationId, new Set());
    checked.get(d.operationId)!.add(r.status);
    return json;
  };

  // ---- tenants, enrollment accounts ----
  const tid = (await call('POST', '/api/v1/tenants', { tenantId: crypto.randomUUID(), cloud: 'standard', audiences: ['https://mdm.fenestra.test'] }, 201))
    .tenantId;
  await call(
    'PATCH',
    `/api/v1/tenants/${tid}`,
    { audiences: ['https://mdm.fenestra.test'], enrollmentUrl: 'https://portal.contoso.com/enroll', remediationUrl: 'https://portal.contoso.com/fix' },
    200,
  );
  await call('GET', `/api/v1/tenants/${tid}`, undefined, 200);
  await call('GET', '/api/v1/tenants', undefined, 200);
  // A watched Entra group of a tenant without application credentials: listed, and its sync says why not.
  await s.server.store.entraGroups.watch({ id: crypto.randomUUID(), tenantId: tid, createdAt: new Date().toISOString() });
  await call('GET', `/api/v1/tenants/${tid}/groups`, undefined, 200);
  await call('POST', `/api/v1/tenants/${tid}/groups/sync`, {}, 200);
  await call('POST', `/api/v1/tenants/${tid}/groups/sync`, { groupId: crypto.randomUUID() }, 404);
  await call('POST', '/api/v1/tenants', { tenantId: tid, cloud: 'standard', audiences: ['https://mdm.fenestra.test'] }, 409);
  await call('POST', '/api/v1/tenants', { tenantId: 'x', cloud: 'moon', audiences: [] }, 400);
  await call('GET', '/api/v1/tenants/00000000-0000-0000-0000-000000000000', undefined, 404);
  await call('POST', '/api/v1/enrollment-accounts', { username: 'kiosk', password: 'correct horse battery' }, 201);
  await call('GET', '/api/v1/enrollment-accounts', undefined, 200);

  // ---- devices: enrolled and checked in through the real server ----
  // The real server looks tenants up in the store on each token: the tenant connected above counts.
  const a = await enrollEntraDevice(s, tid, 'Device');
  const b = await enrollEntraDevice(s, tid, 'Full');
  const c = await enrollEntraDevice(s, tid, 'Device');
  await checkIn(s, a);
  const A = a.dev.deviceId;

  // ---- profiles of every kind, groups, assignments ----
  const profiles = [
    { name: 'Corp root', kind: 'certificate', scope: 'device', settings: { ref: 'corp-root', type: 'trusted-root', certificateBase64: ROOT_PEM } },
    { name: 'User cert', kind: 'certificate', scope: 'user', settings: { ref: 'user-pfx', type: 'pfx', pfxBase64: PFX_B64, password: 'correct-horse' } },
    { name: 'Guest Wi-Fi', kind: 'wifi', scope: 'device', settings: { ssid: 'Guest', security: 'WPA2PSK', passphrase: 'correct horse battery' } },
    {
      name: 'Corp Wi-Fi',
      kind: 'wifi',
      scope: 'user',
      settings: { ssid: 'Corp', security: 'WPA2', eap: { method: 'peap-mschapv2', serverTrust: { rootCertificateRefs: ['corp-root'] } } },
    },
    {
      name: 'Corp VPN',
      kind: 'vpn',
      scope: 'user',
      settings: {
        name: 'Corp VPN',
        servers: ['vpn.contoso.com'],
        tunnelType: 'IKEv2',
        routing: { mode: 'force' },
        authentication: { method: 'peap-mschapv2', serverTrust: { rootCertificateRefs: ['corp-root'] } },
      },
    },
    {
      name: 'Mail',
      kind: 'email',
      scope: 'user',
      settings: {
        accountId: 'corp-mail',
        accountName: 'Mail',
        emailAddress: 'a@contoso.com',
        serviceType: 'IMAP4',
        incoming: { host: 'imap.contoso.com', port: 993 },
        outgoing: { host: 'smtp.contoso.com', port: 587 },
        userName: 'a',
      },
    },
    { name: 'Hello', kind: 'hello', scope: 'device', settings: { tenantId: tid, enabled: true } },
    {
      name: 'Custom',
      kind: 'custom',
      scope: 'device',
      settings: { nodes: [{ locUri: './Device/Vendor/MSFT/Policy/Config/Browser/AllowCookies', format: 'int', value: '1' }] },
    },
  ];
  const ids: string[] = [];
  for (const p of profiles) ids.push((await call('POST', '/api/v1/profiles', p, 201)).id);
  t.same(new Set(profiles.map((p) => p.kind)), new Set(['vpn', 'wifi', 'email', 'certificate', 'hello', 'custom']), 'every kind');
  await call('POST', '/api/v1/profiles', { ...profiles[5], name: 'Mail 2' }, 409);
  await call('PATCH', `/api/v1/profiles/${ids[2]}`, { name: 'Guest Wi-Fi 2', settings: { ssid: 'Guest', security: 'WPA2PSK', passphrase: '********' } }, 200);
  const devGroup = await call('POST', '/api/v1/groups', { name: 'Laptops', kind: 'device', members: [A] }, 201);
  const userGroup = await call('POST', '/api/v1/groups', { name: 'Sales', kind: 'user' }, 201);
  await call('POST', `/api/v1/groups/${userGroup.id}/members`, { members: ['alice@contoso.com'] }, 200);
  await call('GET', `/api/v1/groups/${devGroup.id}`, undefined, 200);
  await call('GET', '/api/v1/groups', undefined, 200);
  await call('POST', `/api/v1/profiles/${ids[2]}/assignments`, { targetType: 'all' }, 201);
  await call('POST', `/api/v1/profiles/${ids[6]}/assignments`, { targetType: 'group', targetId: devGroup.id }, 201);
  await call('POST', `/api/v1/profiles/${ids[3]}/assignments`, { targetType: 'user', targetId: 'alice@contoso.com' }, 201);
  await call('POST', `/api/v1/profiles/${ids[7]}/assignments`, { targetType: 'device', targetId: A }, 201);
  for (const id of ids) await call('GET', `/api/v1/profiles/${id}`, undefined, 200);
  await call('GET', '/api/v1/profiles', undefined, 200);
  await call('GET', `/api/v1/profiles/${ids[2]}/status`, undefined, 200);
  await call('GET', '/api/v1/profiles/nope', undefined, 404);

  // ---- the app catalog (issue #15): packages (raw bodies), Office, the live version, deployment ----
  const pkgDir = fs.mkdtempSync(path.join(s.dir, 'pkg-'));
  const paint = (version: string) =>
    buildMsix(pkgDir, { name: 'Contoso.Paint', publisher: 'CN=Contoso Ltd, O=Contoso, C=US', version, displayName: 'Contoso Paint' }).then((p) =>
      fs.readFileSync(p.file),
    );
  const [paint1, paint2] = [await paint('1.0.0.0'), await paint('2.0.0.0')];
  const added = await call('POST', '/api/v1/apps/packages?fileName=paint.msix', paint1, 201);
  const appId = added.app.id as string;
  await call('POST', '/api/v1/apps/packages?fileName=paint.msix', paint1, 200);
  await call('POST', '/api/v1/apps/packages', Buffer.from('not a package at all'), 422);
  const v2 = await call('POST', `/api/v1/apps/${appId}/versions?fileName=paint2.msix`, paint2, 201);
  await call('POST', `/api/v1/apps/${crypto.randomUUID()}/versions`, paint2, 404);
  await call('POST', '/api/v1/apps/public', { url: 'https://127.0.0.1/tool.msi', sha256: 'a'.repeat(64) }, 422);
  await call('POST', '/api/v1/apps/public', { url: 'http://downloads.contoso.test/tool.msi', sha256: 'a'.repeat(64) }, 400);
  const office = {
    name: 'Microsoft 365 Apps',
    configurationXml: '<Configuration><Add Channel="MonthlyEnterprise"><Product ID="O365ProPlusRetail"/></Add></Configuration>',
  };
  await call('POST', '/api/v1/apps/office', office, 201);
  await call('POST', '/api/v1/apps/office', office, 200);
  await call('GET', '/api/v1/apps', undefined, 200);
  await call('PATCH', `/api/v1/apps/${appId}`, { name: 'Paint', description: 'Drawing' }, 200);
  await call('PUT', `/api/v1/apps/${appId}/live`, { versionId: v2.version.id }, 200);
  await call('DELETE', `/api/v1/apps/${appId}/versions/${v2.version.id}`, undefined, 409);
  await call('DELETE', `/api/v1/apps/${appId}/versions/${added.version.id}`, undefined, 204);
  await call('POST', `/api/v1/apps/${appId}/assignments`, { targetType: 'device', targetId: A, intent: 'install' }, 201);
  await call('POST', `/api/v1/apps/${appId}/assignments`, { targetType: 'user', targetId: 'alice@contoso.com', intent: 'install', scope: 'user' }, 201);
  await call('GET', `/api/v1/apps/${appId}`, undefined, 200);
  await call('GET', `/api/v1/apps/${appId}/status`, undefined, 200);
  await call('DELETE', `/api/v1/apps/${appId}`, undefined, 409);
  await call('DELETE', `/api/v1/apps/${appId}/assignments`, { targetType: 'device', targetId: A, intent: 'install' }, 204);
  await call('DELETE', `/api/v1/apps/${appId}/assignments`, { targetType: 'all', intent: 'uninstall' }, 404);
  await call('GET', `/api/v1/devices/${A}/apps`, undefined, 200);
  await call('DELETE', `/api/v1/apps/${appId}?force=true`, undefined, 204);
  await call('GET', `/api/v1/apps/${appId}`, undefined, 404);

  // ---- check-in schedules ----
  const schedule = {
    firstRetries: { intervalMinutes: 3, count: 5 },
    secondRetries: { intervalMinutes: 15, count: 8 },
    regular: { intervalMinutes: 480, count: 0 },
    pollOnLogin: true,
    allUsersPollOnFirstLogin: true,
  };
  await call('GET', '/api/v1/settings/checkin-schedule', undefined, 200);
  await call('PUT', '/api/v1/settings/checkin-schedule', schedule, 200);
  await call('PUT', `/api/v1/groups/${devGroup.id}/checkin-schedule`, { ...schedule, regular: { intervalMinutes: 240, count: 0 } }, 200);
  await call('PUT', `/api/v1/groups/${userGroup.id}/checkin-schedule`, schedule, 400);
  await call('GET', '/api/v1/settings/checkin-schedule', undefined, 200);

  // ---- devices: commands, views, revocation, deletion ----
  await call('POST', `/api/v1/devices/${A}/commands`, { action: 'sync' }, 201);
  await call(
    'POST',
    `/api/v1/devices/${A}/commands`,
    { verb: 'Get', items: [{ target: './DevDetail/SwV' }], userOid: crypto.randomUUID(), expiresInHours: 2 },
    201,
  );
  const atomic = await call(
    'POST',
    `/api/v1/devices/${A}/commands`,
    {
      verb: 'Atomic',
      commands: [
        { verb: 'Replace', items: [{ target: './Device/Vendor/MSFT/Policy/Config/Browser/AllowCookies', format: 'int', data: '2' }] },
        { verb: 'Sequence', commands: [{ verb: 'Exec', items: [{ target: './Device/Vendor/MSFT/Reboot/RebootNow' }] }] },
      ],
    },
    201,
  );
  await call('GET', `/api/v1/devices/${A}/commands?limit=50`, undefined, 200);
  await call('DELETE', `/api/v1/devices/${A}/commands/${atomic.id}`, undefined, 204);
  await call('DELETE', `/api/v1/devices/${A}/commands/${atomic.id}`, undefined, 409);
  await call('GET', `/api/v1/devices/${A}/sessions`, undefined, 200);
  await call('GET', `/api/v1/devices/${A}/sessions?pretty=true`, undefined, 200);
  await call('GET', `/api/v1/devices/${A}/plan`, undefined, 200);
  await call('GET', `/api/v1/devices/${b.dev.deviceId}/plan`, undefined, 200);
  await call('GET', '/api/v1/devices?sort=-lastSeen', undefined, 200);
  await call('GET', '/api/v1/devices?limit=1', undefined, 200);
  await call('GET', '/api/v1/devices?colour=red', undefined, 400);
  await call('GET', '/api/v1/fleet/summary', undefined, 200);
  await call('GET', '/api/v1/settings/stale-devices', undefined, 200);
  await call('PUT', '/api/v1/settings/stale-devices', { staleAfterDays: 30, action: 'retire', afterDays: 90 }, 200);
  await call('GET', '/api/v1/settings/stale-devices', undefined, 200);
  await call('POST', `/api/v1/devices/${A}/push`, undefined, 409);
  await call('POST', `/api/v1/devices/${b.dev.deviceId}/revoke`, { after: 'wipe', deadlineHours: 24 }, 202);
  await call('POST', `/api/v1/devices/${c.dev.deviceId}/revoke`, {}, 200);
  await call('POST', `/api/v1/devices/${c.dev.deviceId}/revoke`, {}, 409);
  for (const d of [a, b, c]) await call('GET', `/api/v1/devices/${d.dev.deviceId}`, undefined, 200);
  await call('DELETE', `/api/v1/devices/${c.dev.deviceId}`, undefined, 200);
  await call('GET', '/api/v1/devices/nope', undefined, 404);
  await call('GET', '/api/v1/audit?limit=200', undefined, 200);
  // Administrators, API tokens, push settings: their reads, as the admin token sees them.
  await call('GET', '/api/v1/me', undefined, 200);
  await call('GET', '/api/v1/admins', undefined, 200);
  await call('GET', '/api/v1/tokens', undefined, 200);
  await call('GET', '/api/v1/settings/push', undefined, 200);
  const alice = await call(
    'POST',
    '/api/v1/admins',
    { username: 'alice', displayName: 'Alice', role: 'helpdesk', password: 'correct horse battery staple' },
    201,
  );
  await call('PATCH', `/api/v1/admins/${alice.id}`, { displayName: 'Alice B' }, 200);
  await call('GET', `/api/v1/admins/${alice.id}`, undefined, 200);
  await call('POST', '/api/v1/tokens', { name: 'ci', adminId: alice.id, expiresInDays: 30 }, 201);
  await call('GET', `/api/v1/tokens?adminId=${alice.id}`, undefined, 200);
  await call('PUT', '/api/v1/settings/push', { pfn: 'Contoso.Wake_8wekyb3d8bbwe', clientId: 'ms-app://s-1-15-2-1', clientSecret: 'not-a-real-secret' }, 200);

  await t.test('every operation of these routes was checked with a real reply', async (t) => {
    const expected = [
      'listTenants',
      'connectTenant',
      'getTenant',
      'updateTenant',
      'listTenantEntraGroups',
      'syncTenantEntraGroups',
      'listEnrollmentAccounts',
      'createEnrollmentAccount',
      'listDevices',
      'getDevice',
      'deleteDevice',
      'getDevicePlan',
      'revokeDevice',
      'queueDeviceCommand',
      'listDeviceCommands',
      'listDeviceSessions',
      'pushDevice',
      'getFleetSummary',
      'getStaleDevicePolicy',
      'setStaleDevicePolicy',
      'listProfiles',
      'createProfile',
      'getProfile',
      'updateProfile',
      'getProfileStatus',
      'assignProfile',
      'listGroups',
      'createGroup',
      'getGroup',
      'addGroupMembers',
      'getCheckinSchedule',
      'setCheckinSchedule',
      'setGroupCheckinSchedule',
      'listAuditEntries',
      'getMe',
      'listAdmins',
      'listTokens',
      'getPushSettings',
      'createAdmin',
      'updateAdmin',
      'getAdmin',
      'createToken',
      'setPushSettings',
      'listApps',
      'uploadAppPackage',
      'uploadAppVersion',
      'addPublicApp',
      'addOfficeApp',
      'getApp',
      'updateApp',
      'deleteApp',
      'setAppLiveVersion',
      'deleteAppVersion',
      'deployApp',
      'undeployApp',
      'getAppStatus',
      'listDeviceApps',
    ];
    t.same(
      expected.filter((id) => !checked.has(id)),
      [],
      'operations without a checked reply',
    );
    t.same([...(checked.get('revokeDevice') ?? [])].sort(), [200, 202, 409], 'revocation: now, pending, refused');
    t.same([...(checked.get('uploadAppPackage') ?? [])].sort(), [200, 201, 422], 'a package: added, there already, refused');
  });

  await t.test('a reply field the schema does not list fails the check', async (t) => {
    const d = declared(doc, { method: 'GET', route: '/api/v1/devices/:id', status: 200 })!;
    const schema = structuredClone(d.schema) as { properties: Json };
    delete schema.properties.inventory;
    recorded.length = 0;
    await app.inject({ method: 'GET', url: `/api/v1/devices/${A}`, headers: { authorization: `Bearer ${s.adminToken}` } });
    const v = validator(schema, 'getDevice without inventory');
    t.notOk(v(recorded[0].payload), 'inventory is not listed: refused');
    t.match(JSON.stringify(v.errors), /additionalProperty.*inventory/);
  });
});
