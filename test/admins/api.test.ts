// The admin API with named administrators, against a real server: roles enforced on every route
// (a sample per role), a helpdesk token cannot queue a wipe but can queue a reboot, console
// session cookies need the CSRF token on changes, revoked tokens and disabled administrators get
// 401, the audit log names the person, refused credentials are logged at warn without their value.
import crypto from 'node:crypto';
import Fastify from 'fastify';
import t from 'tap';
import { deriveKey } from '../../src/app.js';
import { AdminService, type SignedIn } from '../../src/service/admins/service.js';
import { requireCapabilities } from '../../src/http/admin/permissions.js';
import { SESSION_COOKIE } from '../../src/http/admin/session-cookie.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const secret = crypto.randomBytes(32);
const lines: string[] = [];
const PASSWORD = 'correct horse battery';
const roles = ['read-only', 'helpdesk', 'admin', 'owner'] as const;
let s: TestServer;
let svc: AdminService;
let ownerSession: SignedIn;
const tokens: Record<string, string> = {};
let deviceId: string;

type Json = { status: number; json: any };
async function call(method: string, p: string, o: { bearer?: string; cookie?: string; csrf?: string; body?: unknown } = {}): Promise<Json> {
  const headers: Record<string, string> = {};
  if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
  if (o.cookie) headers.cookie = `${SESSION_COOKIE}=${o.cookie}`;
  if (o.csrf) headers['x-csrf-token'] = o.csrf;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const r = await s.request(p, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  const txt = r.text();
  return { status: r.status, json: txt ? JSON.parse(txt) : undefined };
}

t.before(async () => {
  s = await startTestServer({ FENESTRA_SECRET_KEY: secret.toString('base64') }, { logSink: { write: (l: string) => void lines.push(l) } });
  // The same service the server runs (same store, same CSRF key): sessions it starts are the server's.
  svc = new AdminService({ store: s.server.store, csrfKey: deriveKey(secret, 'console-csrf') });
  // The first owner, from the code the start-up printed.
  if (!s.server.setupCode || !(await svc.setupCodeValid(s.server.setupCode))) throw new Error('no valid setup code at start-up');
  ownerSession = await svc.completeSetup(s.server.setupCode, { username: 'olivia', password: PASSWORD }, '127.0.0.1');
  for (const role of roles) {
    const created = await s.admin('POST', '/api/v1/admins', { username: `u-${role}`, role, password: PASSWORD });
    if (created.status !== 201) throw new Error(`create ${role}: ${created.status} ${JSON.stringify(created.json)}`);
    const tok = await s.admin('POST', '/api/v1/tokens', { name: `${role}-script`, adminId: created.json.id });
    if (tok.status !== 201 || tok.json.token.role !== role || !/^fen_/.test(tok.json.secret)) throw new Error(`token ${role}: ${JSON.stringify(tok.json)}`);
    tokens[role] = tok.json.secret;
  }
  await enrollEntraDevice(s, await s.connectTenant());
  const devices = await s.admin('GET', '/api/v1/devices');
  deviceId = devices.json.devices?.[0]?.id ?? devices.json[0]?.id;
  if (!deviceId) throw new Error('no enrolled device');
});
t.teardown(() => s?.close());

t.test('each role: a sample of allowed and refused routes', async (t) => {
  const sample: [string, string, unknown, Record<(typeof roles)[number], boolean>][] = [
    ['GET', '/api/v1/devices', undefined, { 'read-only': true, helpdesk: true, admin: true, owner: true }],
    ['GET', '/api/v1/me', undefined, { 'read-only': true, helpdesk: true, admin: true, owner: true }],
    ['GET', `/api/v1/devices/${deviceId}/sessions`, undefined, { 'read-only': false, helpdesk: true, admin: true, owner: true }],
    ['POST', `/api/v1/devices/${deviceId}/commands`, { action: 'sync' }, { 'read-only': false, helpdesk: true, admin: true, owner: true }],
    ['POST', '/api/v1/groups', { name: `g-${crypto.randomUUID()}`, kind: 'user' }, { 'read-only': false, helpdesk: false, admin: true, owner: true }],
    ['GET', '/api/v1/audit', undefined, { 'read-only': false, helpdesk: false, admin: true, owner: true }],
    ['GET', '/api/v1/enrollment-accounts', undefined, { 'read-only': false, helpdesk: false, admin: true, owner: true }],
    [
      'POST',
      '/api/v1/tenants',
      { tenantId: crypto.randomUUID(), cloud: 'standard', audiences: ['https://mdm.fenestra.test'] },
      { 'read-only': false, helpdesk: false, admin: false, owner: true },
    ],
    ['GET', '/api/v1/admins', undefined, { 'read-only': false, helpdesk: false, admin: false, owner: true }],
  ];
  for (const role of roles) {
    for (const [method, p, body, allowed] of sample) {
      const fresh = body && typeof body === 'object' && 'name' in body ? { ...body, name: `g-${crypto.randomUUID()}` } : body;
      const fresher = fresh && typeof fresh === 'object' && 'tenantId' in fresh ? { ...fresh, tenantId: crypto.randomUUID() } : fresh;
      const r = await call(method, p, { bearer: tokens[role], body: fresher });
      if (allowed[role]) t.ok(r.status < 400, `${role}: ${method} ${p} allowed (${r.status})`);
      else
        t.match(
          r,
          { status: 403, json: { error: { code: 'forbidden', message: new RegExp(`^${role} cannot `), capability: String } } },
          `${role}: ${method} ${p} refused`,
        );
    }
  }
});

t.test('a helpdesk token cannot queue a wipe (403) but can queue a reboot', async (t) => {
  const wipe = await call('POST', `/api/v1/devices/${deviceId}/commands`, { bearer: tokens.helpdesk, body: { action: 'wipe' } });
  t.same(wipe, { status: 403, json: { error: { code: 'forbidden', message: 'helpdesk cannot devices.wipe', capability: 'devices.wipe' } } });
  const raw = await call('POST', `/api/v1/devices/${deviceId}/commands`, {
    bearer: tokens.helpdesk,
    body: { verb: 'Get', items: [{ target: './DevDetail/SwV' }] },
  });
  t.match(raw, { status: 403, json: { error: { capability: 'devices.raw-command' } } }, 'nor a raw SyncML command');
  const reboot = await call('POST', `/api/v1/devices/${deviceId}/commands`, { bearer: tokens.helpdesk, body: { action: 'reboot' } });
  t.equal(reboot.status, 201, 'reboot queued');
  const list = await s.admin('GET', `/api/v1/devices/${deviceId}/commands`);
  t.notOk(JSON.stringify(list.json).includes('RemoteWipe'), 'no wipe was queued');
  const entries = (await s.admin('GET', '/api/v1/audit?limit=50')).json.entries as { actor: string; action: string }[];
  t.ok(
    entries.some((e) => e.actor === 'u-helpdesk (token helpdesk-script)' && e.action === 'device.reboot'),
    'the audit names the person and the token',
  );
});

t.test('console session cookie: reads without CSRF; changes need the CSRF token (403 when missing or wrong)', async (t) => {
  const me = await call('GET', '/api/v1/me', { cookie: ownerSession.sessionToken });
  t.match(me, { status: 200, json: { name: 'olivia', role: 'owner', via: 'session', admin: { username: 'olivia', passwordSet: true } } });
  const body = { name: `g-${crypto.randomUUID()}`, kind: 'device' };
  const missing = await call('POST', '/api/v1/groups', { cookie: ownerSession.sessionToken, body });
  t.match(missing, { status: 403, json: { error: { code: 'csrf' } } });
  const wrong = await call('POST', '/api/v1/groups', { cookie: ownerSession.sessionToken, csrf: 'x'.repeat(43), body });
  t.match(wrong, { status: 403, json: { error: { code: 'csrf' } } });
  const other = await svc.signInWithPassword('u-owner', PASSWORD, '127.0.0.1');
  const crossed = await call('POST', '/api/v1/groups', { cookie: ownerSession.sessionToken, csrf: other.csrfToken, body });
  t.equal(crossed.status, 403, "another session's token does not do");
  const inBody = await call('POST', '/api/v1/groups', { cookie: ownerSession.sessionToken, body: { ...body, _csrf: ownerSession.csrfToken } });
  t.equal(inBody.status, 201, 'the token in the body (a form) does');
  const ok = await call('POST', '/api/v1/groups', {
    cookie: ownerSession.sessionToken,
    csrf: ownerSession.csrfToken,
    body: { ...body, name: `g-${crypto.randomUUID()}` },
  });
  t.equal(ok.status, 201);
  const entries = (await s.admin('GET', '/api/v1/audit?limit=5')).json.entries as { actor: string; action: string }[];
  t.equal(entries.find((e) => e.action.startsWith('group'))?.actor, 'olivia', 'the audit names the person of the session');
  const unknown = await call('GET', '/api/v1/me', { cookie: 'not-a-session' });
  t.equal(unknown.status, 401);
  await svc.signOut(other.sessionToken);
  t.equal((await call('GET', '/api/v1/me', { cookie: other.sessionToken })).status, 401, 'signed out');
});

t.test('tokens: revoked → 401; disabled administrator → 401 for its session and tokens; break-glass named in the audit', async (t) => {
  const mine = await call('POST', '/api/v1/tokens', { bearer: tokens.admin, body: { name: 'temp' } });
  t.equal(mine.status, 201);
  t.equal(mine.json.token.adminUsername, 'u-admin');
  t.equal((await call('GET', '/api/v1/me', { bearer: mine.json.secret })).status, 200);
  const own = await call('GET', '/api/v1/tokens', { bearer: tokens.admin });
  t.same(own.json.map((x: { name: string }) => x.name).sort(), ['admin-script', 'temp'], 'one sees its own tokens');
  t.notOk(JSON.stringify(own.json).includes(mine.json.secret), 'never the secret again');
  t.equal((await call('GET', '/api/v1/tokens?all=true', { bearer: tokens.admin })).status, 403, "others' need the owner");
  const revoked = await call('DELETE', `/api/v1/tokens/${mine.json.token.id}`, { bearer: tokens.admin });
  t.match(revoked, { status: 200, json: { active: false, revokedAt: String } });
  t.match(await call('GET', '/api/v1/me', { bearer: mine.json.secret }), { status: 401, json: { error: { code: 'unauthorized' } } });

  const admins = (await s.admin('GET', '/api/v1/admins')).json as { id: string; username: string }[];
  const helpdesk = admins.find((a) => a.username === 'u-helpdesk')!;
  const session = await svc.signInWithPassword('u-helpdesk', PASSWORD, '127.0.0.1');
  t.equal((await call('GET', '/api/v1/me', { cookie: session.sessionToken })).status, 200);
  const disabled = await s.admin('PATCH', `/api/v1/admins/${helpdesk.id}`, { disabled: true });
  t.match(disabled, { status: 200, json: { disabled: true } });
  t.equal((await call('GET', '/api/v1/me', { cookie: session.sessionToken })).status, 401, 'its session ended');
  t.equal((await call('GET', '/api/v1/me', { bearer: tokens.helpdesk })).status, 401, 'its token stopped');
  const entries = (await s.admin('GET', '/api/v1/audit?limit=5')).json.entries as { actor: string; action: string }[];
  t.match(entries[0], { action: 'admin.disable', actor: /^break-glass@(127\.0\.0\.1|::ffff:127\.0\.0\.1)$/ });
  await s.admin('PATCH', `/api/v1/admins/${helpdesk.id}`, { disabled: false });
});

t.test('the last owner cannot be demoted, disabled or removed: 409 naming it', async (t) => {
  const admins = (await s.admin('GET', '/api/v1/admins')).json as { id: string; username: string; role: string }[];
  const others = admins.filter((a) => a.role === 'owner' && a.username !== 'olivia');
  for (const o of others) t.equal((await s.admin('PATCH', `/api/v1/admins/${o.id}`, { role: 'admin' })).status, 200);
  const olivia = admins.find((a) => a.username === 'olivia')!;
  for (const [method, body] of [
    ['PATCH', { role: 'helpdesk' }],
    ['PATCH', { disabled: true }],
    ['DELETE', undefined],
  ] as const) {
    const r = await s.admin(method, `/api/v1/admins/${olivia.id}`, body);
    t.match(r, { status: 409, json: { error: { code: 'last_owner', message: /^olivia is the last owner/ } } }, `${method} ${JSON.stringify(body)}`);
  }
  const invalid = await s.admin('POST', '/api/v1/admins', { username: 'bad name', role: 'admin' });
  t.match(invalid, { status: 400, json: { error: { pointer: '/username' } } });
  const role = await s.admin('POST', '/api/v1/admins', { username: 'x', role: 'root' });
  t.match(role, { status: 400, json: { error: { pointer: '/role' } } });
});

t.test('refused credentials are logged at warn with the reason, never their value', async (t) => {
  const guess = `fen_0badc0de_${'A'.repeat(43)}`;
  await call('GET', '/api/v1/me', { bearer: guess });
  await call('GET', '/api/v1/me', { cookie: 'a-stolen-cookie-value' });
  await call('GET', '/api/v1/me');
  const warns = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'admin authentication failed');
  t.ok(warns.some((l) => l.reason === 'unknown API token' && l.level === 40));
  t.ok(warns.some((l) => l.reason === 'unknown or ended session'));
  t.ok(warns.some((l) => l.reason === 'no authorization header'));
  const all = lines.join('\n');
  t.notOk(
    all.includes(guess) || all.includes('a-stolen-cookie-value') || all.includes(ownerSession.sessionToken) || all.includes(tokens.owner),
    'no credential in the logs',
  );
});

t.test('an /api/v1 route missing from the capability table fails the start', async (t) => {
  const app = Fastify();
  const started = (async () => {
    await app.register(async (api) => {
      requireCapabilities(api);
      api.get('/api/v1/devices', async () => 'listed');
      api.get('/api/v1/unguarded', async () => 'not listed');
    });
    await app.ready();
  })();
  await t.rejects(started, /admin route GET \/api\/v1\/unguarded has no capability in src\/http\/admin\/permissions\.ts/);
  await app.close().catch(() => undefined);
});
