// Review of issue #13's tokens, against a real server on SQLite and on PostgreSQL: a token minted
// through a credential ends with it (revoking the parent token; disabling or deleting the
// administrator who handed it out), and a taken token prefix is minted again rather than a 500.
import crypto from 'node:crypto';
import t from 'tap';
import { SESSION_COOKIE } from '../../src/http/admin/session-cookie.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery staple';
type Json = { status: number; json: any };
type Entry = { actor: string; action: string; targetId: string; detail?: Record<string, unknown> };

function client(s: TestServer) {
  async function call(method: string, p: string, o: { bearer?: string; cookie?: string; csrf?: string; body?: unknown; from?: string } = {}): Promise<Json> {
    const headers: Record<string, string> = { authorization: `Bearer ${o.bearer ?? s.adminToken}` };
    if (o.cookie) {
      delete headers.authorization;
      headers.cookie = `${SESSION_COOKIE}=${o.cookie}`;
      if (o.csrf) headers['x-csrf-token'] = o.csrf;
    }
    if (o.from) headers['x-forwarded-for'] = o.from;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const r = await s.request(p, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const txt = r.text();
    return { status: r.status, json: txt ? JSON.parse(txt) : undefined };
  }
  const createAdmin = async (username: string, role: string): Promise<string> => {
    const r = await call('POST', '/api/v1/admins', { body: { username, role, password: PASSWORD } });
    if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.id as string;
  };
  /** A token minted with `bearer` (default: the break-glass token). */
  const mint = async (name: string, o: { bearer?: string; cookie?: string; csrf?: string; adminId?: string } = {}): Promise<{ id: string; secret: string }> => {
    const r = await call('POST', '/api/v1/tokens', { ...o, body: { name, ...(o.adminId ? { adminId: o.adminId } : {}) } });
    if (r.status !== 201) throw new Error(`mint ${name}: ${r.status} ${JSON.stringify(r.json)}`);
    return { id: r.json.token.id, secret: r.json.secret };
  };
  const works = async (secret: string) => (await call('GET', '/api/v1/me', { bearer: secret })).status === 200;
  const audit = async () => (await call('GET', '/api/v1/audit?limit=100')).json.entries as Entry[];
  async function consoleSession(username: string): Promise<{ cookie: string; csrf: string }> {
    const r = await s.request('/console/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ username, password: PASSWORD, next: '/console/' }).toString(),
    });
    const cookie = [r.headers['set-cookie']]
      .flat()
      .find((c) => c?.startsWith(`${SESSION_COOKIE}=`))
      ?.slice(SESSION_COOKIE.length + 1)
      .split(';')[0];
    if (r.status !== 303 || !cookie) throw new Error(`sign-in ${username}: ${r.status}`);
    const page = await s.request('/console/tokens', { headers: { cookie: `${SESSION_COOKIE}=${cookie}` } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text())?.[1];
    if (!csrf) throw new Error('no CSRF token');
    return { cookie, csrf };
  }
  return { call, createAdmin, mint, works, audit, consoleSession };
}

for (const database of ['sqlite', 'postgres'] as const) {
  t.test(`${database}: tokens minted through a credential end with it`, async (t) => {
    const s = await startTestServer({}, { database });
    t.teardown(() => s.close());
    const c = client(s);
    const olivia = await c.createAdmin('olivia', 'owner');
    const rose = await c.createAdmin('rose', 'owner');
    const otto = await c.createAdmin('otto', 'owner');
    const bob = await c.createAdmin('bob', 'helpdesk');

    await t.test('revoking a token revokes the tokens minted with it, generation after generation', async (t) => {
      const t1 = await c.mint('root', { adminId: olivia });
      const t2 = await c.mint('child', { bearer: t1.secret });
      const t3 = await c.mint("bob's grandchild", { bearer: t2.secret, adminId: bob });
      const t4 = await c.mint("bob's own", { bearer: t3.secret });
      const sibling = await c.mint('sibling', { adminId: olivia });
      for (const x of [t1, t2, t3, t4, sibling]) t.ok(await c.works(x.secret), 'works before');
      const r = await c.call('DELETE', `/api/v1/tokens/${t1.id}`);
      t.equal(r.status, 200);
      for (const x of [t1, t2, t3, t4]) t.notOk(await c.works(x.secret), 'revoked with its ancestor');
      t.ok(await c.works(sibling.secret), 'a token of the same administrator not minted through it still works');
      const listed = (await c.call('GET', `/api/v1/tokens?adminId=${bob}`)).json;
      const rows = (Array.isArray(listed) ? listed : listed.tokens) as { id: string; active: boolean; revokedAt?: string }[];
      t.match(
        rows.find((x) => x.id === t3.id),
        { active: false, revokedAt: String },
        'listed as revoked',
      );
      const entry = (await c.audit()).find((e) => e.action === 'token.revoke' && e.targetId === t1.id);
      t.equal((entry?.detail?.alsoRevoked as string[] | undefined)?.length, 3, 'the audit entry names the tokens revoked along');
      t.equal((await c.call('POST', '/api/v1/tokens', { bearer: t2.secret, body: { name: 'late' } })).status, 401, 'a revoked child mints nothing');
    });

    await t.test("disabling an administrator revokes what it handed out (a session's and a token's), for good", async (t) => {
      const session = await c.consoleSession('rose');
      const viaSession = await c.mint('from a session', { ...session, adminId: bob });
      const own = await c.mint('rose own', { adminId: rose });
      const viaToken = await c.mint('from a token', { bearer: own.secret, adminId: bob });
      const grandchild = await c.mint('bob from it', { bearer: viaToken.secret });
      const unrelated = await c.mint('bob from break-glass', { adminId: bob });
      t.equal((await c.call('PATCH', `/api/v1/admins/${rose}`, { body: { disabled: true } })).status, 200);
      for (const x of [viaSession, viaToken, grandchild]) t.notOk(await c.works(x.secret), 'revoked with the administrator who minted it');
      t.notOk(await c.works(own.secret), "rose's own token stops while she is disabled");
      t.ok(await c.works(unrelated.secret), "bob's token from someone else is untouched");
      const entry = (await c.audit()).find((e) => e.action === 'admin.disable' && e.targetId === rose);
      t.equal((entry?.detail?.tokensRevoked as string[] | undefined)?.length, 3, 'the audit entry names them');
      t.equal((await c.call('PATCH', `/api/v1/admins/${rose}`, { body: { disabled: false } })).status, 200);
      for (const x of [viaSession, viaToken, grandchild]) t.notOk(await c.works(x.secret), 'enabling her again revives none of them');
      t.ok(await c.works(own.secret), 'her own token works again (documented)');
    });

    await t.test('deleting an administrator revokes the tokens it minted for others', async (t) => {
      const own = await c.mint('otto own', { adminId: otto });
      const forBob = await c.mint('from otto', { bearer: own.secret, adminId: bob });
      const fromThat = await c.mint('bob from otto', { bearer: forBob.secret });
      t.equal((await c.call('DELETE', `/api/v1/admins/${otto}`)).status, 204);
      for (const x of [own, forBob, fromThat]) t.notOk(await c.works(x.secret), 'gone or revoked');
    });

    await t.test('a revoked token mints nothing (401)', async (t) => {
      const p = await c.mint('parent', { adminId: bob });
      await c.call('DELETE', `/api/v1/tokens/${p.id}`);
      t.equal((await c.call('POST', '/api/v1/tokens', { bearer: p.secret, body: { name: 'x' } })).status, 401);
    });
  });
}

t.test('a taken token prefix is minted again: no 500', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const c = client(s);
  const ada = await c.createAdmin('ada', 'admin');
  // Every prefix-sized draw returns the same bytes for a while: the second token's first prefix collides.
  const real = crypto.randomBytes;
  let forced = 3;
  (crypto as { randomBytes: unknown }).randomBytes = (size: number, ...rest: unknown[]) =>
    size < 16 && forced-- > 0 ? Buffer.alloc(size, 0x5a) : (real as (...a: unknown[]) => Buffer)(size, ...rest);
  t.teardown(() => void ((crypto as { randomBytes: unknown }).randomBytes = real));
  const first = await c.call('POST', '/api/v1/tokens', { body: { name: 'first', adminId: ada } });
  const second = await c.call('POST', '/api/v1/tokens', { body: { name: 'second', adminId: ada } });
  (crypto as { randomBytes: unknown }).randomBytes = real;
  t.equal(first.status, 201);
  t.equal(second.status, 201, JSON.stringify(second.json));
  t.not(second.json?.token?.prefix, first.json.token.prefix, 'another prefix');
  t.ok(await c.works(second.json.secret), 'and the token works');
  t.ok(await c.works(first.json.secret), 'as does the first');
});
