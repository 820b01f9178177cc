// The administrators' store (AdminStore) on both backends: unique user names whatever their
// case, the last-owner rule, the one-time setup code, sessions and tokens kept as hashes only.
import crypto from 'node:crypto';
import t from 'tap';
import type { AdminRecord, ApiTokenRecord } from '../../src/domain/admin.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import { storeFor, STORE_KINDS } from '../helpers/fresh-store.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const audit = (action: string, targetId: string): AuditEntry => ({ at: at(0), actor: 'tester', action, targetType: 'admin', targetId });
const admin = (o: Partial<AdminRecord> = {}): AdminRecord => ({
  id: crypto.randomUUID(),
  username: `user-${crypto.randomBytes(3).toString('hex')}`,
  role: 'owner',
  passwordHash: 'scrypt$x',
  disabled: false,
  createdAt: at(0),
  updatedAt: at(0),
  ...o,
});
const token = (adminId: string, o: Partial<ApiTokenRecord> = {}): ApiTokenRecord => ({
  id: crypto.randomUUID(),
  prefix: crypto.randomBytes(4).toString('hex'),
  tokenHash: crypto.randomBytes(32).toString('hex'),
  name: 'ci',
  adminId,
  role: 'helpdesk',
  createdAt: at(0),
  ...o,
});

for (const name of STORE_KINDS) {
  t.test(`${name}: user names are unique whatever their case; lookups ignore case`, async (t) => {
    const store = await storeFor(t, name, 'admins');
    const a = admin({ username: 'Alice' });
    t.equal(await store.admins.create(a, audit('admin.create', a.id)), 'ok');
    t.equal(await store.admins.create(admin({ username: 'ALICE' }), audit('admin.create', 'x')), 'conflict');
    t.equal((await store.admins.getByUsername('alice'))?.id, a.id);
    t.equal((await store.admins.get(a.id))?.username, 'Alice', 'the spelling given is kept');
    const ext = admin({ username: 'bob', externalIssuer: 'https://issuer', externalSubject: 'oid-1', passwordHash: undefined });
    t.equal(await store.admins.create(ext, audit('admin.create', ext.id)), 'ok');
    t.equal(await store.admins.create(admin({ externalIssuer: 'https://issuer', externalSubject: 'oid-1' }), audit('admin.create', 'y')), 'conflict');
    t.match(await store.admins.getByExternal('https://issuer', 'oid-1'), { id: ext.id, passwordHash: undefined, disabled: false });
    t.equal(await store.admins.count(), 2);
    t.same(
      (await store.admins.list()).map((x) => x.username),
      ['Alice', 'bob'],
    );
    t.equal(await store.admins.update({ ...ext, username: 'alice' }), 'conflict', 'renaming onto another name refused');
    await store.admins.recordSignIn(a.id, at(9));
    t.match(await store.admins.get(a.id), { lastSignInAt: at(9), updatedAt: at(0) }, 'the sign-in time alone');
    t.same(
      (await store.audit.list({ limit: 10 })).map((e) => e.action),
      ['admin.create', 'admin.create'],
      'only the successful creations audited',
    );
  });

  t.test(`${name}: the last enabled owner cannot be demoted, disabled or removed`, async (t) => {
    const store = await storeFor(t, name, 'admins');
    const o1 = admin();
    const o2 = admin();
    await store.admins.create(o1, audit('admin.create', o1.id));
    await store.admins.create(o2, audit('admin.create', o2.id));
    t.equal(await store.admins.update({ ...o1, role: 'admin' }, audit('admin.role', o1.id)), 'ok', 'one of two owners may go');
    t.equal(await store.admins.update({ ...o2, role: 'admin' }, audit('admin.role', o2.id)), 'last-owner');
    t.equal(await store.admins.update({ ...o2, disabled: true }, audit('admin.disable', o2.id)), 'last-owner');
    t.equal(await store.admins.remove(o2.id, audit('admin.remove', o2.id)), 'last-owner');
    t.match(await store.admins.get(o2.id), { role: 'owner', disabled: false }, 'nothing written');
    t.equal(await store.admins.update({ ...o2, displayName: 'Owner Two' }, audit('admin.update', o2.id)), 'ok', 'other changes allowed');
    t.equal(await store.admins.remove(o1.id, audit('admin.remove', o1.id)), 'ok');
    t.equal(await store.admins.remove(o1.id, audit('admin.remove', o1.id)), 'not-found');
    t.same(
      (await store.audit.list({ limit: 10 })).map((e) => e.action),
      ['admin.remove', 'admin.update', 'admin.role', 'admin.create', 'admin.create'],
    );
  });

  t.test(`${name}: two owners demoted at once: one stays owner`, async (t) => {
    const store = await storeFor(t, name, 'admins');
    const o1 = admin();
    const o2 = admin();
    await store.admins.create(o1, audit('admin.create', o1.id));
    await store.admins.create(o2, audit('admin.create', o2.id));
    const r = await Promise.all([store.admins.update({ ...o1, role: 'helpdesk' }), store.admins.update({ ...o2, role: 'helpdesk' })]);
    t.same([...r].sort(), ['last-owner', 'ok']);
    t.equal((await store.admins.list()).filter((a) => a.role === 'owner').length, 1);
  });

  t.test(`${name}: the setup code creates the first owner once, unexpired, while there is no administrator`, async (t) => {
    const store = await storeFor(t, name, 'admins');
    await store.admins.putSetupCode('old', at(0), at(100));
    await store.admins.putSetupCode('h1', at(1), at(100));
    t.same(await store.admins.setupCode(), { codeHash: 'h1', expiresAt: at(100) }, 'a new code replaces the previous one');
    const first = admin();
    t.equal(await store.admins.createFirst(first, 'old', at(2), audit('admin.setup', first.id)), false, 'the replaced code is gone');
    t.equal(await store.admins.createFirst(first, 'h1', at(100), audit('admin.setup', first.id)), false, 'expired');
    t.equal(await store.admins.createFirst(first, 'h1', at(50), audit('admin.setup', first.id)), true);
    t.equal(await store.admins.setupCode(), undefined, 'consumed');
    t.equal(await store.admins.createFirst(admin(), 'h1', at(51), audit('admin.setup', 'x')), false, 'used once');
    await store.admins.putSetupCode('h2', at(60), at(200));
    t.equal(await store.admins.createFirst(admin(), 'h2', at(61), audit('admin.setup', 'x')), false, 'not once an administrator exists');
    t.equal(await store.admins.count(), 1);
  });

  t.test(`${name}: sessions: touched forward only, ended by disabling, pruned by time`, async (t) => {
    const store = await storeFor(t, name, 'admins');
    const a = admin({ role: 'helpdesk' });
    await store.admins.create(a, audit('admin.create', a.id));
    await store.admins.createSession({ tokenHash: 's1', adminId: a.id, createdAt: at(0), lastSeenAt: at(0), expiresAt: at(1000) });
    await store.admins.createSession({ tokenHash: 's2', adminId: a.id, createdAt: at(0), lastSeenAt: at(0), expiresAt: at(10) });
    await store.admins.touchSession('s1', at(60));
    await store.admins.touchSession('s1', at(30));
    t.equal((await store.admins.session('s1'))?.lastSeenAt, at(60), 'never moved back');
    t.equal(await store.admins.pruneSessions(at(20), at(-1)), 1, 'the one past its absolute end');
    t.equal(await store.admins.session('s2'), undefined);
    await store.admins.createSession({ tokenHash: 's3', adminId: a.id, createdAt: at(0), lastSeenAt: at(0), expiresAt: at(1000) });
    t.equal(await store.admins.pruneSessions(at(20), at(30)), 1, 'the idle one');
    await store.admins.deleteSession('s1');
    t.equal(await store.admins.session('s1'), undefined, 'signed out');
    await store.admins.createSession({ tokenHash: 's4', adminId: a.id, createdAt: at(0), lastSeenAt: at(0), expiresAt: at(1000) });
    t.equal(await store.admins.update({ ...a, disabled: true }, audit('admin.disable', a.id)), 'ok');
    t.equal(await store.admins.session('s4'), undefined, 'disabling ends the sessions');
  });

  t.test(`${name}: API tokens: by prefix, per owner, revoked once, gone with their administrator`, async (t) => {
    const store = await storeFor(t, name, 'admins');
    const a = admin({ role: 'admin' });
    const b = admin({ role: 'owner' });
    await store.admins.create(a, audit('admin.create', a.id));
    await store.admins.create(b, audit('admin.create', b.id));
    const ta = token(a.id, { createdAt: at(1), expiresAt: at(500) });
    const tb = token(b.id, { createdAt: at(2) });
    await store.admins.createToken(ta, audit('token.create', ta.id));
    await store.admins.createToken(tb, audit('token.create', tb.id));
    t.same(await store.admins.tokenByPrefix(ta.prefix), ta);
    t.same(
      (await store.admins.tokens(a.id)).map((x) => x.id),
      [ta.id],
    );
    t.same(
      (await store.admins.tokens()).map((x) => x.id),
      [tb.id, ta.id],
      'everyone’s, newest first',
    );
    await store.admins.touchToken(ta.id, at(5));
    t.equal((await store.admins.token(ta.id))?.lastUsedAt, at(5));
    t.equal(await store.admins.revokeToken(ta.id, at(6), audit('token.revoke', ta.id)), true);
    t.equal(await store.admins.revokeToken(ta.id, at(7), audit('token.revoke', ta.id)), false, 'once');
    t.equal((await store.admins.token(ta.id))?.revokedAt, at(6));
    t.equal(await store.admins.remove(a.id, audit('admin.remove', a.id)), 'ok');
    t.equal(await store.admins.token(ta.id), undefined, 'deleted with its administrator');
    t.same(
      (await store.audit.list({ limit: 10 })).map((e) => e.action),
      ['admin.remove', 'token.revoke', 'token.create', 'token.create', 'admin.create', 'admin.create'],
    );
  });
}
