// SQLite: administrators, their browser sessions and API tokens, the first owner's setup code (see AdminStore).
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../../domain/audit.js';
import type { AdminRecord } from '../../domain/admin.js';
import {
  ADMIN_INSERT,
  ADMIN_UPDATE,
  OWNERS_COUNT,
  TOKEN_INSERT,
  TOKEN_PARENT_LIVE,
  TOKENS_REVOKE_CHILDREN,
  TOKENS_REVOKE_OF_ADMIN,
  adminFromRow,
  adminInsertValues,
  adminUpdateValues,
  endsSessions,
  isActiveOwner,
  sessionFromRow,
  tokenFromRow,
  tokenInsertValues,
  unchangedSince,
  usernameKey,
  withCascade,
} from '../admin-rows.js';
import { StoreConflictError } from '../errors.js';
import type { Row } from '../rows.js';
import { auditInsertSql, auditInsertValues } from '../statements.js';
import type { AdminChange, AdminStore } from '../types.js';

export function sqliteAdmins(db: Database.Database): AdminStore {
  const s = {
    count: db.prepare('SELECT COUNT(*) AS n FROM administrators'),
    owners: db.prepare(OWNERS_COUNT),
    list: db.prepare('SELECT * FROM administrators ORDER BY username_key'),
    get: db.prepare('SELECT * FROM administrators WHERE id = ?'),
    byName: db.prepare('SELECT * FROM administrators WHERE username_key = ?'),
    byExternal: db.prepare('SELECT * FROM administrators WHERE external_issuer = ? AND external_subject = ?'),
    insert: db.prepare(ADMIN_INSERT),
    update: db.prepare(ADMIN_UPDATE),
    delete: db.prepare('DELETE FROM administrators WHERE id = ?'),
    endSessions: db.prepare('DELETE FROM admin_sessions WHERE admin_id = ?'),
    signIn: db.prepare('UPDATE administrators SET last_sign_in_at = ? WHERE id = ?'),
    audit: db.prepare(auditInsertSql('sqlite')),
    codeTake: db.prepare('DELETE FROM admin_setup_code WHERE id = 1 AND code_hash = ? AND expires_at > ?'),
    codePut: db.prepare(
      `INSERT INTO admin_setup_code (id, code_hash, created_at, expires_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET code_hash = excluded.code_hash, created_at = excluded.created_at, expires_at = excluded.expires_at`,
    ),
    codeGet: db.prepare('SELECT code_hash, expires_at FROM admin_setup_code WHERE id = 1'),
    sessionIns: db.prepare('INSERT INTO admin_sessions (token_hash, admin_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
    sessionGet: db.prepare('SELECT * FROM admin_sessions WHERE token_hash = ?'),
    sessionTouch: db.prepare('UPDATE admin_sessions SET last_seen_at = ? WHERE token_hash = ? AND last_seen_at < ?'),
    sessionDel: db.prepare('DELETE FROM admin_sessions WHERE token_hash = ?'),
    sessionPrune: db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ? OR last_seen_at < ?'),
    tokenIns: db.prepare(TOKEN_INSERT),
    tokenGet: db.prepare('SELECT * FROM api_tokens WHERE id = ?'),
    tokenByPrefix: db.prepare('SELECT * FROM api_tokens WHERE prefix = ?'),
    tokensOf: db.prepare('SELECT * FROM api_tokens WHERE admin_id = ? ORDER BY created_at DESC, id'),
    tokensAll: db.prepare('SELECT * FROM api_tokens ORDER BY created_at DESC, id'),
    tokenRevoke: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    tokenTouch: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
    tokenParentLive: db.prepare(TOKEN_PARENT_LIVE),
    tokensRevokeOfAdmin: db.prepare(TOKENS_REVOKE_OF_ADMIN),
    tokensRevokeChildren: db.prepare(TOKENS_REVOKE_CHILDREN),
  };
  const audit = (e: AuditEntry) => s.audit.run(auditInsertValues(e));
  const one = (r: unknown) => (r ? adminFromRow(r as Row) : undefined);
  const owners = () => Number((s.owners.get() as Row).n);
  const prefixes = (rows: unknown[]) => (rows as Row[]).map((r) => String(r.prefix));
  /** The tokens minted through the tokens revoked at `at` (this transaction), generation by generation. */
  const revokeDescendants = (at: string): string[] => {
    const all: string[] = [];
    for (let gen = prefixes(s.tokensRevokeChildren.all(at, at)); gen.length; gen = prefixes(s.tokensRevokeChildren.all(at, at))) all.push(...gen);
    return all;
  };
  /** Disabling or deleting an administrator: the tokens it minted for others, and all minted through them. */
  const revokeAdminTokens = (adminId: string, at: string): string[] => [...prefixes(s.tokensRevokeOfAdmin.all(at, adminId, adminId)), ...revokeDescendants(at)];

  const create = db.transaction((a: AdminRecord, e: AuditEntry): AdminChange => {
    if (s.insert.run(...adminInsertValues(a)).changes === 0) return 'conflict';
    audit(e);
    return 'ok';
  }).immediate;
  const createFirst = db.transaction((a: AdminRecord, codeHash: string, at: string, e: AuditEntry): boolean => {
    if (s.codeTake.run(codeHash, at).changes === 0) return false;
    if (Number((s.count.get() as Row).n) > 0 || s.insert.run(...adminInsertValues(a)).changes === 0) throw new Rollback();
    audit(e);
    return true;
  }).immediate;
  const update = db.transaction((a: AdminRecord, e?: AuditEntry, expected?: AdminRecord): AdminChange => {
    const before = one(s.get.get(a.id));
    if (!before) return 'not-found';
    if (expected && !unchangedSince(before, expected)) return 'conflict';
    if (usernameKey(before.username) !== usernameKey(a.username) && s.byName.get(usernameKey(a.username))) return 'conflict';
    s.update.run(...adminUpdateValues(a));
    if (isActiveOwner(before) && !isActiveOwner(a) && owners() === 0) throw new Rollback('last-owner');
    if (endsSessions(before, a)) s.endSessions.run(a.id);
    const revoked = a.disabled ? revokeAdminTokens(a.id, a.updatedAt) : [];
    if (e) audit(withCascade(e, 'tokensRevoked', revoked));
    return 'ok';
  }).immediate;
  const remove = db.transaction((id: string, e: AuditEntry): AdminChange => {
    const before = one(s.get.get(id));
    if (!before) return 'not-found';
    const revoked = revokeAdminTokens(id, e.at);
    s.delete.run(id);
    if (isActiveOwner(before) && owners() === 0) throw new Rollback('last-owner');
    audit(withCascade(e, 'tokensRevoked', revoked));
    return 'ok';
  }).immediate;

  /** Runs a transaction that may roll back with a verdict. */
  const verdict = <A extends unknown[], R>(fn: (...args: A) => R, onRollback: (r: Rollback) => R) => {
    return async (...args: A): Promise<R> => {
      try {
        return fn(...args);
      } catch (err) {
        if (err instanceof Rollback) return onRollback(err);
        throw err;
      }
    };
  };

  return {
    async count() {
      return Number((s.count.get() as Row).n);
    },
    async list() {
      return (s.list.all() as Row[]).map(adminFromRow);
    },
    async get(id) {
      return one(s.get.get(id));
    },
    async getByUsername(username) {
      return one(s.byName.get(usernameKey(username)));
    },
    async getByExternal(issuer, subject) {
      return one(s.byExternal.get(issuer, subject));
    },
    create: verdict(create, () => 'conflict'),
    createFirst: verdict(createFirst, () => false),
    update: verdict(update, (r) => r.verdict),
    remove: verdict(remove, (r) => r.verdict),
    async recordSignIn(id, at) {
      s.signIn.run(at, id);
    },
    async putSetupCode(codeHash, createdAt, expiresAt) {
      s.codePut.run(codeHash, createdAt, expiresAt);
    },
    async setupCode() {
      const r = s.codeGet.get() as Row | undefined;
      return r ? { codeHash: String(r.code_hash), expiresAt: String(r.expires_at) } : undefined;
    },
    async createSession(x) {
      s.sessionIns.run(x.tokenHash, x.adminId, x.createdAt, x.lastSeenAt, x.expiresAt);
    },
    async session(tokenHash) {
      const r = s.sessionGet.get(tokenHash) as Row | undefined;
      return r ? sessionFromRow(r) : undefined;
    },
    async touchSession(tokenHash, at) {
      s.sessionTouch.run(at, tokenHash, at);
    },
    async deleteSession(tokenHash) {
      s.sessionDel.run(tokenHash);
    },
    async pruneSessions(now, idleBefore) {
      return s.sessionPrune.run(now, idleBefore).changes;
    },
    async createToken(t, e) {
      db.transaction(() => {
        // What mints it must still stand: its parent token unrevoked, its maker and owner enabled
        // (a revocation or a disable that committed first has revoked all it minted).
        if (t.parentTokenId && !s.tokenParentLive.get(t.parentTokenId)) throw new StoreConflictError('the token minting this one was revoked');
        for (const id of new Set([t.mintedBy, t.adminId])) {
          const a = id === undefined ? undefined : one(s.get.get(id));
          if (id !== undefined && (!a || a.disabled)) throw new StoreConflictError('the administrator was disabled or removed');
        }
        try {
          s.tokenIns.run(...tokenInsertValues(t));
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new StoreConflictError('API token prefix taken');
          throw err;
        }
        audit(e);
      }).immediate();
    },
    async token(id) {
      const r = s.tokenGet.get(id) as Row | undefined;
      return r ? tokenFromRow(r) : undefined;
    },
    async tokenByPrefix(prefix) {
      const r = s.tokenByPrefix.get(prefix) as Row | undefined;
      return r ? tokenFromRow(r) : undefined;
    },
    async tokens(adminId) {
      return ((adminId === undefined ? s.tokensAll.all() : s.tokensOf.all(adminId)) as Row[]).map(tokenFromRow);
    },
    async revokeToken(id, at, e) {
      return db
        .transaction(() => {
          if (s.tokenRevoke.run(at, id).changes === 0) return false;
          audit(withCascade(e, 'alsoRevoked', revokeDescendants(at)));
          return true;
        })
        .immediate();
    },
    async touchToken(id, at) {
      s.tokenTouch.run(at, id);
    },
  };
}

/** Thrown inside a transaction to undo it; `verdict` is what the caller answers. */
class Rollback extends Error {
  readonly verdict: AdminChange;
  constructor(verdict: AdminChange = 'conflict') {
    super(verdict);
    this.verdict = verdict;
  }
}
