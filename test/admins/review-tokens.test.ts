// Security review of issue #13's identities through the admin API, against a real server: a
// token cannot mint a token above its own role, resetting a password ends the sessions opened
// with the old one, a change in flight does not undo a concurrent disable, and no secret reaches
// the log of the run.
import crypto from 'node:crypto';
import t from 'tap';
import { deriveKey } from '../../src/app.js';
import { SESSION_COOKIE } from '../../src/http/admin/session-cookie.js';
import { AdminService } from '../../src/service/admins/service.js';
import type { Store } from '../../src/store/types.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const secret = crypto.randomBytes(32);
const lines: string[] = [];
const PASSWORD = 'correct horse battery';
let s: TestServer;
let svc: AdminService;
const seen: string[] = [];

type Json = { status: number; json: any };
async function call(method: string, p: string, o: { bearer?: string; cookie?: string; body?: unknown } = {}): Promise<Json> {
  const headers: Record<string, string> = {};
  if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
  if (o.cookie) headers.cookie = `${SESSION_COOKIE}=${o.cookie}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const r = await s.request(p, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  const txt = r.text();
  return { status: r.status, json: txt ? JSON.parse(txt) : undefined };
}

async function createAdmin(username: string, role: string, password = PASSWORD): Promise<string> {
  const r = await s.admin('POST', '/api/v1/admins', { username, role, password });
  if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.id as string;
}

/** Signs in through the console's form, as a browser does; the session cookie's value. */
async function consoleSignIn(username: string, password = PASSWORD): Promise<string> {
  const r = await s.request('/console/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ username, password, next: '/console/' }).toString(),
  });
  const cookie = [r.headers['set-cookie']].flat().find((c) => c?.startsWith(`${SESSION_COOKIE}=`));
  if (r.status !== 303 || !cookie) throw new Error(`sign-in ${username}: ${r.status}`);
  const value = cookie.slice(SESSION_COOKIE.length + 1).split(';')[0];
  seen.push(value);
  return value;
}

t.before(async () => {
  s = await startTestServer({ FENESTRA_SECRET_KEY: secret.toString('base64') }, { logSink: { write: (l: string) => void lines.push(l) } });
  svc = new AdminService({ store: s.server.store, csrfKey: deriveKey(secret, 'console-csrf') });
  await svc.completeSetup(s.server.setupCode!, { username: 'olivia', password: PASSWORD }, '127.0.0.1');
});
t.teardown(() => s?.close());

t.test("a token cannot mint a token of a higher role than its own (an owner's read-only token stays read-only)", async (t) => {
  const rose = await createAdmin('rose', 'owner');
  const ro = await s.admin('POST', '/api/v1/tokens', { name: 'monitoring', role: 'read-only', adminId: rose });
  t.equal(ro.status, 201);
  seen.push(ro.json.secret);
  t.equal((await call('GET', '/api/v1/admins', { bearer: ro.json.secret })).status, 403, 'the read-only token cannot list administrators');

  const asked = await call('POST', '/api/v1/tokens', { bearer: ro.json.secret, body: { name: 'escalate', role: 'owner' } });
  if (asked.json?.secret) seen.push(asked.json.secret);
  t.match(asked, { status: 400, json: { error: { pointer: '/role' } } }, 'an owner token asked for by a read-only token is refused');

  const byDefault = await call('POST', '/api/v1/tokens', { bearer: ro.json.secret, body: { name: 'default role' } });
  if (byDefault.json?.secret) seen.push(byDefault.json.secret);
  t.equal(byDefault.status, 201);
  t.equal(byDefault.json.token.role, 'read-only', "a token's default role is its creator's (the read-only token's), not the administrator's");
  t.equal((await call('GET', '/api/v1/admins', { bearer: byDefault.json.secret })).status, 403, 'and it cannot list administrators');

  // A helpdesk session of an admin (role read live from the administrator) is unchanged: its own role caps it.
  const hd = await createAdmin('hugo', 'helpdesk');
  const hdTok = await s.admin('POST', '/api/v1/tokens', { name: 'hd', adminId: hd });
  seen.push(hdTok.json.secret);
  const up = await call('POST', '/api/v1/tokens', { bearer: hdTok.json.secret, body: { name: 'up', role: 'admin' } });
  t.match(up, { status: 400, json: { error: { pointer: '/role' } } }, 'a helpdesk cannot mint an admin token');
  // The owner (break-glass) still gives anyone a token up to that administrator's role.
  const forRose = await s.admin('POST', '/api/v1/tokens', { name: 'full', role: 'owner', adminId: rose });
  t.equal(forRose.status, 201);
  seen.push(forRose.json.secret);
});

t.test("an owner resetting an administrator's password ends the sessions opened with the old one", async (t) => {
  const id = await createAdmin('paula', 'admin');
  const cookie = await consoleSignIn('paula');
  t.equal((await call('GET', '/api/v1/me', { cookie })).status, 200);
  const reset = await s.admin('PATCH', `/api/v1/admins/${id}`, { password: 'another long passphrase' });
  t.equal(reset.status, 200);
  t.equal((await call('GET', '/api/v1/me', { cookie })).status, 401, 'the old session no longer works');
  const fresh = await consoleSignIn('paula', 'another long passphrase');
  t.equal((await call('GET', '/api/v1/me', { cookie: fresh })).status, 200, 'the new password signs in');
  const renamed = await s.admin('PATCH', `/api/v1/admins/${id}`, { displayName: 'Paula P.' });
  t.equal(renamed.status, 200);
  t.equal((await call('GET', '/api/v1/me', { cookie: fresh })).status, 200, 'other changes keep the sessions');
});

/** The server's store, with `admins.<method>` running `meanwhile` once after its read (another owner acting in between). */
function storeWithInterleaving(method: 'get' | 'getByExternal', meanwhile: () => Promise<void>): Store {
  const base = s.server.store;
  let done = false;
  const admins = {
    ...base.admins,
    [method]: async (...args: [string, string]) => {
      const read = await (base.admins[method] as (...a: [string, string]) => ReturnType<Store['admins']['get']>)(...args);
      if (!done) {
        done = true;
        await meanwhile();
      }
      return read;
    },
  };
  return Object.assign(Object.create(base) as Store, { admins });
}

t.test('a change in flight does not undo a disable made meanwhile by another owner', async (t) => {
  const id = await createAdmin('mallory', 'admin');
  const racing = new AdminService({
    store: storeWithInterleaving('get', async () => {
      t.equal((await s.admin('PATCH', `/api/v1/admins/${id}`, { disabled: true })).status, 200, 'disabled meanwhile');
    }),
    csrfKey: deriveKey(secret, 'console-csrf'),
  });
  const r = await racing.update(id, { password: 'mallory chose this one' }, 'olivia').then(
    () => 'ok',
    (err: { status?: number }) => err.status,
  );
  t.equal(r, 409, 'the change made on a stale read is refused (reload and try again)');
  t.match((await s.admin('GET', `/api/v1/admins/${id}`)).json, { disabled: true }, 'the administrator stays disabled');
});

t.test('an Entra sign-in in flight does not undo a disable made meanwhile, nor sign the administrator in', async (t) => {
  const identity = { issuer: 'https://login.example.test/tenant/v2.0', subject: crypto.randomUUID(), username: 'ext@contoso.test', role: 'helpdesk' as const };
  const first = await svc.signInExternal(identity, '127.0.0.1');
  seen.push(first.sessionToken);
  const id = first.admin.id;
  const racing = new AdminService({
    store: storeWithInterleaving('getByExternal', async () => {
      t.equal((await s.admin('PATCH', `/api/v1/admins/${id}`, { disabled: true })).status, 200, 'disabled meanwhile');
    }),
    csrfKey: deriveKey(secret, 'console-csrf'),
  });
  // The claims now give another role, so the sign-in writes the administrator's record.
  const r = await racing.signInExternal({ ...identity, role: 'admin' }, '127.0.0.1').then(
    (x) => {
      seen.push(x.sessionToken);
      return 'signed in';
    },
    (err: { status?: number }) => err.status,
  );
  t.equal(r, 403, 'refused: disabled');
  t.match((await s.admin('GET', `/api/v1/admins/${id}`)).json, { disabled: true, role: 'helpdesk' }, 'still disabled');
});

t.test('a token that expires cannot mint a token that outlives it', async (t) => {
  const id = await createAdmin('cici', 'admin');
  const short = await s.admin('POST', '/api/v1/tokens', { name: 'ci job', adminId: id, expiresInDays: 1 });
  t.equal(short.status, 201);
  seen.push(short.json.secret);
  const child = await call('POST', '/api/v1/tokens', { bearer: short.json.secret, body: { name: 'forever' } });
  if (child.json?.secret) seen.push(child.json.secret);
  t.equal(child.status, 201);
  t.ok(child.json.token.expiresAt, 'the minted token expires too');
  t.ok(Date.parse(child.json.token.expiresAt) <= Date.parse(short.json.token.expiresAt), 'no later than the token that made it');
  const longer = await call('POST', '/api/v1/tokens', { bearer: short.json.secret, body: { name: 'longer', expiresInDays: 30 } });
  if (longer.json?.secret) seen.push(longer.json.secret);
  t.match(longer, { status: 400, json: { error: { pointer: '/expiresInDays' } } }, 'a longer life is refused on its field');
  const cookie = await consoleSignIn('cici');
  const page = await s.request('/console/tokens', { headers: { cookie: `${SESSION_COOKIE}=${cookie}` } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text())![1];
  const bySession = await s.request('/api/v1/tokens', {
    method: 'POST',
    headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf-token': csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'a year', expiresInDays: 365 }),
  });
  t.equal(bySession.status, 201, 'a person signed in (not a token) still chooses any expiry');
  seen.push(JSON.parse(bySession.text()).secret);
});

t.test('no session token, API token or password of this run is in its log', async (t) => {
  t.ok(lines.length > 0, 'there is a log');
  const all = lines.join('\n');
  for (const v of [...seen, PASSWORD, s.adminToken]) t.notOk(all.includes(v), `not logged: ${v.slice(0, 6)}…`);
});
