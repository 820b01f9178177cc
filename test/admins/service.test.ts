// AdminService against a real SQLite store with an injected clock: the first owner's one-time
// set-up code, throttled sign-in, idle and absolute session timeouts, last-seen written at most
// once a minute, external sign-in, the last-owner rule, disabling, API token roles.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { AdminPrincipal } from '../../src/domain/admin.js';
import { AdminService } from '../../src/service/admins/service.js';
import { ApiError } from '../../src/service/errors.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';

const PASSWORD = 'correct horse battery';

async function setup(t: Test, o: { idleMinutes?: number; sessionHours?: number } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-admins-svc-'));
  const store: Store = await openStore({ kind: 'sqlite', file: path.join(dir, 'f.db') });
  t.teardown(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const clock = { ms: Date.parse('2026-03-01T10:00:00.000Z') };
  const svc = new AdminService({ store, csrfKey: crypto.randomBytes(32), now: () => new Date(clock.ms), ...o });
  return { store, clock, svc };
}

/** An owner set up through a fresh code, signed in. */
async function withOwner(t: Test, o: { idleMinutes?: number; sessionHours?: number } = {}) {
  const x = await setup(t, o);
  const code = (await x.svc.issueSetupCode())!;
  const signedIn = await x.svc.completeSetup(code, { username: 'Olivia', password: PASSWORD }, '192.0.2.1');
  const owner: AdminPrincipal = { adminId: signedIn.admin.id, name: 'Olivia', role: 'owner', via: 'session' };
  return { ...x, signedIn, owner };
}

const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return { status: err.status, code: err.code, message: err.message, pointer: err.pointer };
};

t.test('setup code: works once, within 24 hours, and a new one replaces the old', async (t) => {
  const { svc, clock, store } = await setup(t);
  t.equal(await svc.needsSetup(), true);
  const first = (await svc.issueSetupCode())!;
  t.match(first, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
  t.notOk(JSON.stringify(await store.admins.setupCode()).includes(first), 'stored hashed only');
  const second = (await svc.issueSetupCode())!;
  t.equal(await svc.setupCodeValid(first), false, 'replaced by a new start');
  t.match(await refusal(svc.completeSetup(first, { username: 'olivia', password: PASSWORD }, 'ip')), { status: 403, code: 'setup_link_invalid' });
  t.equal(await svc.setupCodeValid(second), true);
  clock.ms += 24 * 3600_000;
  t.equal(await svc.setupCodeValid(second), false, 'expired after 24 h');
  t.match(await refusal(svc.completeSetup(second, { username: 'olivia', password: PASSWORD }, 'ip')), { status: 403 });
  const third = (await svc.issueSetupCode())!;
  t.match(await refusal(svc.completeSetup(third, { username: 'olivia', password: 'short' }, 'ip')), { status: 400, pointer: '/password' });
  t.equal(await svc.setupCodeValid(third), true, 'a refused form does not use the code');
  const done = await svc.completeSetup(third, { username: 'olivia', displayName: 'Olivia O.', password: PASSWORD }, '192.0.2.7');
  t.match(done.admin, { username: 'olivia', displayName: 'Olivia O.', role: 'owner', passwordSet: true });
  t.match(done.csrfToken, /^[A-Za-z0-9_-]{43}$/);
  t.equal(await svc.setupCodeValid(third), false, 'used once');
  t.match(await refusal(svc.completeSetup(third, { username: 'mallory', password: PASSWORD }, 'ip')), { status: 403 });
  t.equal(await svc.issueSetupCode(), undefined, 'no new code once an administrator exists');
  t.equal(await svc.needsSetup(), false);
  const [entry] = (await store.audit.list({ limit: 5 })).filter((e) => e.action === 'admin.setup');
  t.match(entry, { actor: 'olivia', targetId: done.admin.id, detail: { ip: '192.0.2.7', role: 'owner' } });
});

t.test('password sign-in: wrong passwords and unknown names refused alike, then throttled (429)', async (t) => {
  const { svc } = await withOwner(t);
  t.match(await refusal(svc.signInWithPassword('olivia', 'wrong password!!', '198.51.100.1')), { status: 401, message: 'wrong user name or password' });
  t.match(await refusal(svc.signInWithPassword('nobody', PASSWORD, '198.51.100.1')), { status: 401, message: 'wrong user name or password' });
  const ok = await svc.signInWithPassword('OLIVIA', PASSWORD, '198.51.100.1');
  t.equal(ok.admin.username, 'Olivia', 'user names ignore case');
  // Per account: after 5 failures (from many addresses) the account waits, whoever asks.
  for (let i = 0; i < 5; i++) await refusal(svc.signInWithPassword('nobody', 'guess-' + i, `203.0.113.${i}`));
  t.match(
    await refusal(svc.signInWithPassword('nobody', PASSWORD, '203.0.113.99')),
    { status: 429, code: 'throttled' },
    'an unknown name is throttled like a known one',
  );
  for (let i = 0; i < 5; i++) await refusal(svc.signInWithPassword('olivia', 'guess-' + i, `203.0.113.${i}`));
  t.match(await refusal(svc.signInWithPassword('olivia', PASSWORD, '203.0.113.99')), { status: 429, message: /for this user name: try again in \d+ s/ });
  t.ok(await svc.signInWithPassword('olivia', PASSWORD, '198.51.100.1'), 'an address that signed in before is not locked out by the account back-off');
});

t.test('sessions: idle timeout, absolute timeout, last-seen written at most once a minute, sign-out', async (t) => {
  const { svc, clock, store, signedIn } = await withOwner(t, { idleMinutes: 30, sessionHours: 12 });
  const hash = crypto.createHash('sha256').update(signedIn.sessionToken).digest('hex');
  t.notOk(JSON.stringify(await store.admins.session(hash)).includes(signedIn.sessionToken), 'the token is not stored, its hash is');
  const p = await svc.authenticateSession(signedIn.sessionToken);
  t.match(p, { principal: { name: 'Olivia', role: 'owner', via: 'session', csrfToken: signedIn.csrfToken } });
  const seen0 = (await store.admins.session(hash))!.lastSeenAt;
  clock.ms += 30_000;
  await svc.authenticateSession(signedIn.sessionToken);
  t.equal((await store.admins.session(hash))!.lastSeenAt, seen0, 'not written within the minute');
  clock.ms += 31_000;
  await svc.authenticateSession(signedIn.sessionToken);
  t.equal((await store.admins.session(hash))!.lastSeenAt, new Date(clock.ms).toISOString(), 'written after a minute');
  // Active every 29 minutes: survives the idle timeout, not the absolute one.
  const end = Date.parse(signedIn.expiresAt);
  t.equal(end - Date.parse('2026-03-01T10:00:00.000Z'), 12 * 3600_000, '12 hours after sign-in');
  let active = 0;
  while (clock.ms + 29 * 60_000 < end) {
    clock.ms += 29 * 60_000;
    if ('principal' in (await svc.authenticateSession(signedIn.sessionToken))) active++;
  }
  t.equal(active, 24, 'active every 29 minutes: never idle');
  clock.ms = end;
  t.same(await svc.authenticateSession(signedIn.sessionToken), { reason: 'session past its absolute timeout' });
  t.equal(await store.admins.session(hash), undefined, 'deleted');

  const again = await svc.signInWithPassword('olivia', PASSWORD, '192.0.2.1');
  clock.ms += 30 * 60_000;
  t.same(await svc.authenticateSession(again.sessionToken), { reason: 'session idle too long' });

  const third = await svc.signInWithPassword('olivia', PASSWORD, '192.0.2.1');
  await svc.signOut(third.sessionToken);
  t.same(await svc.authenticateSession(third.sessionToken), { reason: 'unknown or ended session' });
});

t.test('administrators: create, roles, the last owner (409 naming it), disabling ends sessions and stops tokens', async (t) => {
  const { svc, owner, signedIn, clock } = await withOwner(t);
  const h = await svc.create({ username: 'hugo', role: 'helpdesk', password: PASSWORD }, 'Olivia');
  t.match(await refusal(svc.create({ username: 'HUGO', role: 'admin' }, 'Olivia')), { status: 409, pointer: '/username' });
  t.match(await refusal(svc.create({ username: 'with space', role: 'admin' }, 'Olivia')), { status: 400, pointer: '/username' });
  t.match(await refusal(svc.changeRole(owner.adminId!, 'admin', 'Olivia')), { status: 409, code: 'last_owner', message: /^Olivia is the last owner/ });
  t.match(await refusal(svc.setDisabled(owner.adminId!, true, 'Olivia')), { status: 409, code: 'last_owner' });
  t.match(await refusal(svc.remove(owner.adminId!, 'Olivia')), { status: 409, code: 'last_owner' });

  const session = await svc.signInWithPassword('hugo', PASSWORD, '192.0.2.2');
  const helpdesk: AdminPrincipal = { adminId: h.id, name: 'hugo', role: 'helpdesk', via: 'session' };
  const { secret, token } = await svc.createToken(helpdesk, { name: 'script' }, 'hugo');
  t.match(secret, /^fen_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
  t.equal(token.prefix, secret.slice(4, 12));
  t.match(await svc.authenticateToken(secret), { principal: { name: 'hugo', role: 'helpdesk', via: 'api-token', tokenName: 'script' } });
  t.match(
    await refusal(svc.createToken(helpdesk, { name: 'more', role: 'admin' }, 'hugo')),
    { status: 400, pointer: '/role' },
    "not above its administrator's role",
  );
  t.match(await refusal(svc.createToken(helpdesk, { name: 'x', adminId: owner.adminId }, 'hugo')), { status: 403 }, "not for someone else's account");
  t.match(await refusal(svc.listTokens(helpdesk, { all: true })), { status: 403 });

  await svc.setDisabled(h.id, true, 'Olivia');
  t.same(await svc.authenticateSession(session.sessionToken), { reason: 'unknown or ended session' }, 'disabling ended the session');
  t.match(await svc.authenticateToken(secret), { reason: /administrator disabled/ }, 'and stopped the token');
  t.match(await refusal(svc.signInWithPassword('hugo', PASSWORD, '192.0.2.2')), { status: 403, code: 'disabled' });
  await svc.setDisabled(h.id, false, 'Olivia');
  t.ok('principal' in (await svc.authenticateToken(secret)), 'enabled again: the token works again');

  // A token keeps at most its administrator's current role.
  clock.ms += 1000;
  const a = await svc.create({ username: 'ada', role: 'admin', password: PASSWORD }, 'Olivia');
  const adaToken = await svc.createToken(owner, { name: 'deploy', adminId: a.id }, 'Olivia');
  t.equal(adaToken.token.role, 'admin');
  await svc.changeRole(a.id, 'read-only', 'Olivia');
  t.match(await svc.authenticateToken(adaToken.secret), { principal: { role: 'read-only' } });

  t.same(
    (await svc.listTokens(owner, { all: true })).map((x) => `${x.adminUsername}:${x.name}:${x.active}`),
    ['ada:deploy:true', 'hugo:script:true'],
  );
  await svc.revokeToken(owner, adaToken.token.id, 'Olivia');
  t.match(await svc.authenticateToken(adaToken.secret), { reason: /revoked/ });
  t.match(await refusal(svc.revokeToken(owner, adaToken.token.id, 'Olivia')), { status: 409 });
  t.match(await refusal(svc.revokeToken(helpdesk, adaToken.token.id, 'hugo')), { status: 404 }, "others' tokens are not found for a helpdesk");
  await svc.remove(h.id, 'Olivia');
  t.match(await svc.authenticateToken(secret), { reason: 'unknown API token' }, 'gone with its administrator');
  t.ok('principal' in (await svc.authenticateSession(signedIn.sessionToken)));
});

t.test('external sign-in: an administrator added ahead (no password, no identity) is linked; the last owner is not demoted by claims', async (t) => {
  const { svc, store, owner } = await withOwner(t);
  const iss = 'https://login.microsoftonline.com/tid/v2.0';
  const ahead = await svc.create({ username: 'Hana@Contoso.com', role: 'admin' }, owner.name);
  const linked = await svc.signInExternal({ issuer: iss, subject: 'oid-h', username: 'hana@contoso.com', role: 'helpdesk' }, '192.0.2.7');
  t.equal(linked.admin.id, ahead.id, 'the account added ahead is the one signed in');
  t.match(linked.admin, { role: 'helpdesk', externalIssuer: iss }, 'the role the claims give, the identity linked');
  const again = await svc.signInExternal({ issuer: iss, subject: 'oid-h', username: 'hana@contoso.com', role: 'helpdesk' }, '192.0.2.7');
  t.equal(again.admin.id, ahead.id, 'found by its identity afterwards');
  t.match(
    await refusal(svc.signInExternal({ issuer: iss, subject: 'oid-other', username: 'hana@contoso.com', role: 'owner' }, 'ip')),
    { status: 409, code: 'username_taken' },
    'a linked account is not taken over by another identity of that name',
  );
  t.ok((await store.audit.list({ limit: 20 })).some((e) => e.action === 'admin.link' && e.targetId === ahead.id));

  // The only owner signs in with Entra; later the claims give a lower role: refused, not opened as owner.
  const sole = await setup(t);
  const first = await sole.svc.signInExternal({ issuer: iss, subject: 'oid-o', username: 'owen@contoso.com', role: 'owner' }, 'ip');
  t.equal(first.admin.role, 'owner');
  t.match(await refusal(sole.svc.signInExternal({ issuer: iss, subject: 'oid-o', username: 'owen@contoso.com', role: 'read-only' }, 'ip')), {
    status: 409,
    code: 'last_owner',
  });
  t.equal((await sole.store.admins.get(first.admin.id))?.role, 'owner', 'still the owner (the break-glass token can name another)');
});

t.test('API token expiry', async (t) => {
  const { svc, owner, clock } = await withOwner(t);
  const { secret, token } = await svc.createToken(owner, { name: 'short', expiresInDays: 1 }, 'Olivia');
  t.equal(token.expiresAt, new Date(clock.ms + 86_400_000).toISOString());
  t.ok('principal' in (await svc.authenticateToken(secret)));
  clock.ms += 86_400_000;
  t.match(await svc.authenticateToken(secret), { reason: /expired/ });
  t.equal((await svc.listTokens(owner))[0].active, false);
  t.match(await svc.authenticateToken(secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A')), { reason: 'unknown API token' });
  t.match(await svc.authenticateToken('fen_nothex!!_x'), { reason: 'malformed API token' });
});

t.test('external sign-in: created on first sign-in, role follows the claims, a local name is not taken over', async (t) => {
  const { svc, store } = await withOwner(t);
  const id = {
    issuer: 'https://login.microsoftonline.com/tid/v2.0',
    subject: 'oid-1',
    username: 'eve@contoso.com',
    displayName: 'Eve',
    role: 'helpdesk' as const,
  };
  const first = await svc.signInExternal(id, '192.0.2.5');
  t.match(first.admin, { username: 'eve@contoso.com', role: 'helpdesk', passwordSet: false, externalIssuer: id.issuer });
  const second = await svc.signInExternal({ ...id, role: 'admin' }, '192.0.2.5');
  t.equal(second.admin.id, first.admin.id, 'the same administrator');
  t.equal(second.admin.role, 'admin', 'the role follows the provider');
  t.match(await refusal(svc.signInExternal({ ...id, subject: 'oid-2', username: 'olivia' }, 'ip')), { status: 409, code: 'username_taken' });
  t.match(await refusal(svc.signInWithPassword('eve@contoso.com', PASSWORD, '192.0.2.9')), { status: 401 }, 'no password to sign in with');
  const log = await store.audit.list({ limit: 20 });
  t.ok(log.some((e) => e.action === 'admin.create' && e.actor === 'eve@contoso.com' && e.detail?.via === 'external'));
  t.ok(
    log.some((e) => e.action === 'admin.role' && e.actor === 'eve@contoso.com' && e.detail?.via === 'external'),
    'the role change from the claims audited',
  );
});
