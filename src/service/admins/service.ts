// Named administrators (issue #13): the first owner's set-up, password and external sign-in,
// browser sessions with idle and absolute timeouts, administrators and their roles, personal API
// tokens. Every change is audited in its own transaction with who did it.
import crypto from 'node:crypto';
import { type AdminPrincipal, type AdminRecord, type AdminRole, roleAtLeast } from '../../domain/admin.js';
import { PasswordHashBusyError, hashPassword, verifyPassword } from '../../identity/passwords.js';
import { LoginThrottle } from '../../identity/throttle.js';
import { StoreConflictError } from '../../store/errors.js';
import type { AdminChange, Store } from '../../store/types.js';
import { auditEntry } from '../audit.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { can } from './capabilities.js';
import { checkDisplayName, checkPassword, checkRole, checkTokenName, checkUsername } from './input.js';
import { apiTokenPrefix, csrfTokenOf, newApiToken, randomSecret, sameSecret, sha256Hex } from './secrets.js';
import { issueSetupCode } from './setup.js';
import { type AdminView, type ApiTokenView, adminView, tokenView } from './views.js';

export interface SignedIn {
  sessionToken: string;
  csrfToken: string;
  /** The session's absolute end (it ends sooner after the idle timeout). */
  expiresAt: string;
  admin: AdminView;
}

export interface ExternalIdentity {
  issuer: string;
  subject: string;
  username: string;
  displayName?: string;
  role: AdminRole;
}

/** A credential checked: who, or why not (for the warn log; never the credential itself). */
export type AuthResult = { principal: AdminPrincipal } | { reason: string };

export interface AdminServiceOptions {
  store: Store;
  /** Key of the CSRF HMAC (derived from the server secret: deriveKey(secret, 'console-csrf')). */
  csrfKey: Buffer;
  now?: () => Date;
  throttle?: LoginThrottle;
  /** Console session timeouts (config.consoleSession). */
  idleMinutes?: number;
  sessionHours?: number;
}

/** Last-seen (sessions) and last-used (tokens) are written at most this often, not per request. */
const TOUCH_MS = 60_000;
const MAX_TOKEN_DAYS = 3650;
/** Mints tried when the store refuses one (a prefix taken, a deadlock) before answering 503. */
const MINT_ATTEMPTS = 4;

const lastOwner = (a: AdminRecord) =>
  new ApiError(409, 'last_owner', `${a.username} is the last owner: make another administrator owner first (an installation always keeps one enabled owner)`);

export class AdminService {
  private readonly store: Store;
  private readonly csrfKey: Buffer;
  private readonly now: () => Date;
  private readonly throttle: LoginThrottle;
  private readonly idleMs: number;
  private readonly sessionMs: number;

  constructor(o: AdminServiceOptions) {
    this.store = o.store;
    this.csrfKey = o.csrfKey;
    this.now = o.now ?? (() => new Date());
    this.throttle = o.throttle ?? new LoginThrottle({}, () => this.now().getTime());
    this.idleMs = (o.idleMinutes ?? 30) * 60_000;
    this.sessionMs = (o.sessionHours ?? 12) * 3600_000;
  }

  private iso(offsetMs = 0): string {
    return new Date(this.now().getTime() + offsetMs).toISOString();
  }

  // ---- the first owner ------------------------------------------------------------------------

  async needsSetup(): Promise<boolean> {
    return (await this.store.admins.count()) === 0;
  }

  /** While there is no administrator: a fresh one-time setup code (setup.ts); undefined once one exists. */
  issueSetupCode(): Promise<string | undefined> {
    return issueSetupCode(this.store, this.now());
  }

  /** The code is the current, unexpired one and no administrator exists yet (for the set-up page). */
  async setupCodeValid(code: string): Promise<boolean> {
    const current = await this.store.admins.setupCode();
    if (!current || !code || !sameSecret(current.codeHash, sha256Hex(code))) return false;
    return Date.parse(current.expiresAt) > this.now().getTime() && (await this.needsSetup());
  }

  async completeSetup(code: string, input: { username: string; displayName?: string; password: string }, ip: string): Promise<SignedIn> {
    const username = checkUsername(input.username);
    const displayName = checkDisplayName(input.displayName);
    const password = checkPassword(input.password);
    const at = this.iso();
    const a: AdminRecord = {
      id: crypto.randomUUID(),
      username,
      displayName,
      role: 'owner',
      passwordHash: await hashPassword(password),
      disabled: false,
      createdAt: at,
      updatedAt: at,
    };
    const created = await this.store.admins.createFirst(
      a,
      sha256Hex(code ?? ''),
      at,
      auditEntry(username, 'admin.setup', 'admin', a.id, { username, role: 'owner', ip }),
    );
    if (!created) {
      throw new ApiError(
        403,
        'setup_link_invalid',
        'this set-up link is no longer valid (used, expired, or replaced by a newer one); `fenestra admins setup-link` prints a new one while no administrator exists',
      );
    }
    return this.startSession(a, ip, 'password');
  }

  // ---- sign-in and sessions -------------------------------------------------------------------

  async signInWithPassword(username: string, password: string, ip: string): Promise<SignedIn> {
    const key = `admin:${String(username ?? '').toLowerCase()}`;
    const verdict = this.throttle.check(key, ip);
    if (!verdict.ok) {
      throw new ApiError(
        429,
        'throttled',
        `too many failed sign-ins ${verdict.scope === 'address' ? 'from this address' : 'for this user name'}: try again in ${verdict.retryAfterSeconds} s`,
      );
    }
    const a = typeof username === 'string' && username.length <= 128 ? await this.store.admins.getByUsername(username) : undefined;
    let ok: boolean;
    try {
      // An unknown user name, or one without a password, costs the same hash as a known one.
      ok = await verifyPassword(String(password ?? ''), a?.passwordHash);
    } catch (err) {
      if (err instanceof PasswordHashBusyError) throw new ApiError(503, 'busy', 'the server is busy checking passwords: try again in a moment');
      throw err;
    }
    if (!ok || !a) {
      this.throttle.failed(key, ip);
      throw new ApiError(401, 'unauthorized', 'wrong user name or password');
    }
    this.throttle.succeeded(key, ip);
    if (a.disabled) throw new ApiError(403, 'disabled', 'this administrator is disabled: ask an owner');
    return this.startSession(a, ip, 'password');
  }

  /**
   * Sign-in vouched for by an OpenID Connect provider (Entra ID): the administrator linked to
   * (issuer, subject), created on first sign-in; its role follows the provider's claims at each
   * sign-in (except that the last owner is not demoted that way).
   */
  async signInExternal(identity: ExternalIdentity, ip: string): Promise<SignedIn> {
    const role = checkRole(identity.role);
    const displayName = checkDisplayName(identity.displayName);
    const found = await this.store.admins.getByExternal(identity.issuer, identity.subject);
    const at = this.iso();
    if (!found) {
      const username = checkUsername(identity.username);
      const a: AdminRecord = {
        id: crypto.randomUUID(),
        username,
        displayName,
        role,
        externalIssuer: identity.issuer,
        externalSubject: identity.subject,
        disabled: false,
        createdAt: at,
        updatedAt: at,
      };
      const r = await this.store.admins.create(
        a,
        auditEntry(username, 'admin.create', 'admin', a.id, { username, role, via: 'external', issuer: identity.issuer, ip }),
      );
      if (r === 'conflict') {
        // An owner may have added this person ahead of their first sign-in, as an administrator
        // with no password and no Entra identity yet: that account is theirs and gets linked.
        // Any other administrator of that name (a local account, or another Entra identity) is
        // not taken over by an external sign-in.
        const named = await this.store.admins.getByUsername(username);
        if (!named || named.passwordHash || named.externalIssuer)
          throw new ApiError(409, 'username_taken', `the user name ${username} belongs to another administrator: ask an owner`);
        return this.applyExternal({ ...named, externalIssuer: identity.issuer, externalSubject: identity.subject }, named, role, displayName, ip, true);
      }
      return this.startSession(a, ip, 'external');
    }
    return this.applyExternal(found, found, role, displayName, ip, false);
  }

  /**
   * An external sign-in's claims applied to the administrator it maps to (the role Entra gives
   * now, the display name, the identity when linking), then the session. The claims are the
   * authority: when the role cannot be applied (the last owner, or a change made meanwhile), the
   * sign-in is refused rather than opened with the role the claims no longer give.
   */
  private async applyExternal(
    next0: AdminRecord,
    found: AdminRecord,
    role: AdminRole,
    displayName: string | undefined,
    ip: string,
    linking: boolean,
  ): Promise<SignedIn> {
    const at = this.iso();
    if (found.disabled) throw new ApiError(403, 'disabled', 'this administrator is disabled: ask an owner');
    let a = found;
    if (linking || found.role !== role || (displayName && displayName !== found.displayName)) {
      const next = { ...next0, role, displayName: displayName ?? found.displayName, updatedAt: at };
      const r = await this.store.admins.update(
        next,
        auditEntry(found.username, linking ? 'admin.link' : found.role !== role ? 'admin.role' : 'admin.update', 'admin', found.id, {
          ...(found.role !== role ? { role: { from: found.role, to: role } } : {}),
          ...(next.displayName !== found.displayName ? { displayName: next.displayName } : {}),
          ...(linking ? { issuer: next.externalIssuer } : {}),
          via: 'external',
          ip,
        }),
        found,
      );
      if (r === 'last-owner')
        throw new ApiError(
          409,
          'last_owner',
          `Entra ID now gives ${found.username} the ${role} role, but ${found.username} is the last owner: make another administrator owner first (the break-glass token can)`,
        );
      if (r !== 'ok') {
        // Changed meanwhile: disabled or removed is said as such; anything else, try again.
        const current = await this.store.admins.get(found.id);
        if (!current || current.disabled) throw new ApiError(403, 'disabled', 'this administrator is disabled: ask an owner');
        throw new ApiError(409, 'conflict', 'this administrator was changed meanwhile: sign in again');
      }
      a = next;
    }
    return this.startSession(a, ip, 'external');
  }

  private async startSession(a: AdminRecord, ip: string, via: 'password' | 'external'): Promise<SignedIn> {
    // Read again: an owner may have disabled or removed the administrator while the password
    // hashed or the claims were applied.
    const current = await this.store.admins.get(a.id);
    if (!current || current.disabled) throw new ApiError(403, 'disabled', 'this administrator is disabled: ask an owner');
    const sessionToken = randomSecret();
    const now = this.iso();
    const expiresAt = this.iso(this.sessionMs);
    await this.store.admins.createSession({ tokenHash: sha256Hex(sessionToken), adminId: a.id, createdAt: now, lastSeenAt: now, expiresAt });
    const signedIn = { ...a, lastSignInAt: now };
    await this.store.admins.recordSignIn(a.id, now);
    await this.store.audit.append(auditEntry(a.username, 'admin.sign-in', 'admin', a.id, { via, ip }));
    // Sessions that ended are removed now and then: at each sign-in.
    await this.store.admins.pruneSessions(now, this.iso(-this.idleMs));
    return { sessionToken, csrfToken: this.csrfFor(sessionToken), expiresAt, admin: adminView(signedIn) };
  }

  async signOut(sessionToken: string): Promise<void> {
    if (sessionToken) await this.store.admins.deleteSession(sha256Hex(sessionToken));
  }

  csrfFor(sessionToken: string): string {
    return csrfTokenOf(this.csrfKey, sessionToken);
  }

  /** The administrator of a session cookie, or why not. Expired sessions are deleted. */
  async authenticateSession(sessionToken: string): Promise<AuthResult> {
    if (!sessionToken || sessionToken.length > 256) return { reason: 'malformed session cookie' };
    const hash = sha256Hex(sessionToken);
    const s = await this.store.admins.session(hash);
    if (!s) return { reason: 'unknown or ended session' };
    const now = this.now().getTime();
    const lastSeen = Date.parse(s.lastSeenAt);
    if (now >= Date.parse(s.expiresAt) || now - lastSeen >= this.idleMs) {
      await this.store.admins.deleteSession(hash);
      return { reason: now >= Date.parse(s.expiresAt) ? 'session past its absolute timeout' : 'session idle too long' };
    }
    const a = await this.store.admins.get(s.adminId);
    if (!a || a.disabled) return { reason: 'administrator disabled or removed' };
    if (now - lastSeen >= TOUCH_MS) await this.store.admins.touchSession(hash, this.iso());
    return { principal: { adminId: a.id, name: a.username, role: a.role, via: 'session', csrfToken: this.csrfFor(sessionToken) } };
  }

  /** The administrator of a personal API token, or why not. The role is the lower of the token's and its administrator's. */
  async authenticateToken(token: string): Promise<AuthResult> {
    const prefix = apiTokenPrefix(token);
    if (!prefix) return { reason: 'malformed API token' };
    const t = await this.store.admins.tokenByPrefix(prefix);
    if (!t || !sameSecret(t.tokenHash, sha256Hex(token))) return { reason: 'unknown API token' };
    const now = this.now().getTime();
    if (t.revokedAt) return { reason: `API token ${t.prefix} revoked` };
    if (t.expiresAt && now >= Date.parse(t.expiresAt)) return { reason: `API token ${t.prefix} expired` };
    const a = await this.store.admins.get(t.adminId);
    if (!a || a.disabled) return { reason: `API token ${t.prefix}: administrator disabled or removed` };
    if (!t.lastUsedAt || now - Date.parse(t.lastUsedAt) >= TOUCH_MS) await this.store.admins.touchToken(t.id, this.iso());
    const role = roleAtLeast(a.role, t.role) ? t.role : a.role;
    return { principal: { adminId: a.id, name: a.username, role, via: 'api-token', tokenId: t.id, tokenName: t.name } };
  }

  // ---- administrators -------------------------------------------------------------------------

  async list(): Promise<AdminView[]> {
    return (await this.store.admins.list()).map(adminView);
  }

  async get(id: string): Promise<AdminView> {
    return adminView(await this.record(id));
  }

  private async record(id: string): Promise<AdminRecord> {
    const a = await this.store.admins.get(id);
    if (!a) throw notFound('administrator');
    return a;
  }

  /** A local administrator (with a password), or one who will sign in with Entra ID only (no password). */
  async create(input: { username: string; displayName?: string; role: AdminRole; password?: string }, actor: string): Promise<AdminView> {
    const username = checkUsername(input.username);
    const displayName = checkDisplayName(input.displayName);
    const role = checkRole(input.role);
    const password = input.password === undefined || input.password === '' ? undefined : checkPassword(input.password);
    const at = this.iso();
    const a: AdminRecord = {
      id: crypto.randomUUID(),
      username,
      displayName,
      role,
      passwordHash: password ? await hashPassword(password) : undefined,
      disabled: false,
      createdAt: at,
      updatedAt: at,
    };
    const r = await this.store.admins.create(a, auditEntry(actor, 'admin.create', 'admin', a.id, { username, role }));
    if (r === 'conflict') throw new ApiError(409, 'username_taken', `an administrator named ${username} exists already (user names ignore case)`, '/username');
    return adminView(a);
  }

  /** Change any of display name, role, disabled, password. The last enabled owner is refused (409). */
  async update(
    id: string,
    change: { displayName?: string | null; role?: AdminRole; disabled?: boolean; password?: string },
    actor: string,
  ): Promise<AdminView> {
    const before = await this.record(id);
    const next: AdminRecord = { ...before, updatedAt: this.iso() };
    const detail: Record<string, unknown> = { username: before.username };
    if (change.displayName !== undefined) {
      next.displayName = checkDisplayName(change.displayName);
      detail.displayName = next.displayName ?? null;
    }
    if (change.role !== undefined) {
      next.role = checkRole(change.role);
      if (next.role !== before.role) detail.role = { from: before.role, to: next.role };
    }
    if (change.disabled !== undefined) {
      if (typeof change.disabled !== 'boolean') throw invalid('/disabled', 'disabled: true or false');
      next.disabled = change.disabled;
      if (next.disabled !== before.disabled) detail.disabled = next.disabled;
    }
    if (change.password !== undefined) {
      next.passwordHash = await hashPassword(checkPassword(change.password));
      detail.password = 'changed';
    }
    const action = detail.disabled === true ? 'admin.disable' : detail.disabled === false ? 'admin.enable' : detail.role ? 'admin.role' : 'admin.update';
    this.verdict(await this.store.admins.update(next, auditEntry(actor, action, 'admin', id, detail), before), before);
    return adminView(next);
  }

  changeRole(id: string, role: AdminRole, actor: string): Promise<AdminView> {
    return this.update(id, { role }, actor);
  }

  /**
   * Disabling ends the administrator's sessions at once; its own API tokens stop working (kept, for
   * when it is enabled again). The tokens it minted for other administrators (admins.manage), and
   * every token minted through those, are revoked: enabling it again revives none of them.
   */
  setDisabled(id: string, disabled: boolean, actor: string): Promise<AdminView> {
    return this.update(id, { disabled }, actor);
  }

  /** Delete an administrator with its sessions and API tokens; the tokens it minted for others (and through them) are revoked. */
  async remove(id: string, actor: string): Promise<void> {
    const before = await this.record(id);
    this.verdict(await this.store.admins.remove(id, auditEntry(actor, 'admin.remove', 'admin', id, { username: before.username, role: before.role })), before);
  }

  private verdict(r: AdminChange, a: AdminRecord): void {
    if (r === 'not-found') throw notFound('administrator');
    if (r === 'last-owner') throw lastOwner(a);
    if (r === 'conflict') throw new ApiError(409, 'conflict', `administrator ${a.username} changed meanwhile: reload and try again`);
  }

  // ---- API tokens -----------------------------------------------------------------------------

  /**
   * A personal API token for `input.adminId` (default: the caller; someone else's needs
   * admins.manage). Its role defaults to, and may not exceed, its administrator's. The secret is
   * returned here once and never again.
   */
  async createToken(
    principal: AdminPrincipal,
    input: { name: string; role?: AdminRole; expiresInDays?: number; adminId?: string },
    actor: string,
  ): Promise<{ token: ApiTokenView; secret: string }> {
    const name = checkTokenName(input.name);
    const ownerId = input.adminId ?? principal.adminId;
    if (!ownerId) throw invalid('/adminId', 'the break-glass token is no administrator: name the administrator the token is for (adminId)');
    if (ownerId !== principal.adminId && !can(principal, 'admins.manage')) throw new ApiError(403, 'forbidden', `${principal.role} cannot admins.manage`);
    const owner = await this.store.admins.get(ownerId);
    if (!owner) throw ownerId === input.adminId ? invalid('/adminId', 'no such administrator') : notFound('administrator');
    if (owner.disabled) throw new ApiError(409, 'disabled', `${owner.username} is disabled: enable the administrator first`);
    // One's own token is capped by the credential making it too (an owner's read-only token mints
    // read-only tokens); a token made for someone else (admins.manage) by that administrator's role.
    const own = ownerId === principal.adminId;
    const cap = own && !roleAtLeast(principal.role, owner.role) ? principal.role : owner.role;
    const role = input.role === undefined ? cap : checkRole(input.role);
    if (!roleAtLeast(cap, role)) {
      throw invalid(
        '/role',
        own && cap !== owner.role
          ? `a token's role cannot exceed the credential creating it (${cap})`
          : `a token's role cannot exceed its administrator's (${owner.username} is ${owner.role})`,
      );
    }
    let expiresAt: string | undefined;
    if (input.expiresInDays !== undefined) {
      if (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > MAX_TOKEN_DAYS) {
        throw invalid('/expiresInDays', `expiresInDays: a whole number of days from 1 to ${MAX_TOKEN_DAYS}`);
      }
      expiresAt = this.iso(input.expiresInDays * 86_400_000);
    }
    // A token made with an expiring token expires no later than it: an expiring credential cannot
    // make itself a longer-lived one.
    const maker = principal.via === 'api-token' && principal.tokenId ? await this.store.admins.token(principal.tokenId) : undefined;
    if (maker?.expiresAt) {
      if (expiresAt === undefined) expiresAt = maker.expiresAt;
      else if (Date.parse(expiresAt) > Date.parse(maker.expiresAt)) {
        throw invalid('/expiresInDays', `the token making this one expires at ${maker.expiresAt}: a token it makes cannot outlive it`);
      }
    }
    // The token records what minted it: revoking that token revokes this one too, and so does
    // disabling or deleting the administrator whose credential it was when the token is someone
    // else's (the store cascades). A parent column rather than refusing tokens made with tokens: a
    // script may mint short-lived tokens with its own, and a token an owner made for someone else
    // through a session must end with that owner too, which no refusal covers.
    const lineage = { parentTokenId: principal.via === 'api-token' ? principal.tokenId : undefined, mintedBy: principal.adminId };
    for (let attempt = 1; ; attempt++) {
      const { token, prefix, tokenHash } = newApiToken();
      const t = { id: crypto.randomUUID(), prefix, tokenHash, name, adminId: owner.id, role, createdAt: this.iso(), expiresAt, ...lineage };
      try {
        await this.store.admins.createToken(t, auditEntry(actor, 'token.create', 'api-token', t.id, { name, prefix, role, admin: owner.username, expiresAt }));
      } catch (err) {
        if (!(err instanceof StoreConflictError)) throw err;
        // Refused: what mints it was revoked or disabled meanwhile (said as such), else a prefix
        // already taken or a lock conflict, so mint another.
        await this.mintStillAllowed(lineage, owner);
        if (attempt >= MINT_ATTEMPTS) throw new ApiError(503, 'busy', 'could not store the new API token: try again');
        continue;
      }
      return { token: tokenView(t, this.now(), owner.username), secret: token };
    }
  }

  /** After a refused mint: a 409 when its parent token, its maker or its owner no longer stands. */
  private async mintStillAllowed(lineage: { parentTokenId?: string; mintedBy?: string }, owner: AdminRecord): Promise<void> {
    const parent = lineage.parentTokenId ? await this.store.admins.token(lineage.parentTokenId) : undefined;
    if (parent?.revokedAt || (lineage.parentTokenId && !parent)) throw new ApiError(409, 'revoked', 'the API token making this one was revoked meanwhile');
    for (const id of new Set([lineage.mintedBy, owner.id])) {
      if (id === undefined) continue;
      const a = await this.store.admins.get(id);
      if (!a || a.disabled) throw new ApiError(409, 'disabled', `${a?.username ?? 'the administrator'} was disabled or removed meanwhile`);
    }
  }

  /** The caller's own tokens; with `all` (or another administrator's id) everyone's, which needs admins.manage. */
  async listTokens(principal: AdminPrincipal, opts: { all?: boolean; adminId?: string } = {}): Promise<ApiTokenView[]> {
    const others = opts.all || (opts.adminId !== undefined && opts.adminId !== principal.adminId);
    if (others && !can(principal, 'admins.manage')) throw new ApiError(403, 'forbidden', `${principal.role} cannot admins.manage`);
    const adminId = opts.all ? opts.adminId : (opts.adminId ?? principal.adminId);
    if (!others && !adminId) return [];
    const names = new Map((await this.store.admins.list()).map((a) => [a.id, a.username]));
    const now = this.now();
    return (await this.store.admins.tokens(adminId)).map((t) => tokenView(t, now, names.get(t.adminId)));
  }

  /** Revoke one of the caller's tokens, or anyone's with admins.manage (others' are "not found" otherwise). */
  async revokeToken(principal: AdminPrincipal, id: string, actor: string): Promise<ApiTokenView> {
    const t = await this.store.admins.token(id);
    if (!t || (t.adminId !== principal.adminId && !can(principal, 'admins.manage'))) throw notFound('API token');
    if (t.revokedAt) throw new ApiError(409, 'revoked', `API token ${t.name} (${t.prefix}) is revoked already`);
    const at = this.iso();
    if (!(await this.store.admins.revokeToken(id, at, auditEntry(actor, 'token.revoke', 'api-token', id, { name: t.name, prefix: t.prefix })))) {
      throw new ApiError(409, 'revoked', `API token ${t.name} (${t.prefix}) is revoked already`);
    }
    const owner = await this.store.admins.get(t.adminId);
    return tokenView({ ...t, revokedAt: at }, this.now(), owner?.username);
  }

  /** Who the caller is: the principal, and the administrator's record when there is one. */
  async me(principal: AdminPrincipal): Promise<{ name: string; role: AdminRole; via: AdminPrincipal['via']; admin?: AdminView; tokenName?: string }> {
    const a = principal.adminId ? await this.store.admins.get(principal.adminId) : undefined;
    return { name: principal.name, role: principal.role, via: principal.via, admin: a ? adminView(a) : undefined, tokenName: principal.tokenName };
  }
}
