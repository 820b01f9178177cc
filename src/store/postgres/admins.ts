// PostgreSQL: administrators, their browser sessions and API tokens, the first owner's setup code
// (see AdminStore). Changes that the last-owner rule checks lock the enabled owners' rows first,
// so two replicas demoting two owners at once cannot both succeed.
import type { AdminRecord } from '../../domain/admin.js';
import type { AuditEntry } from '../../domain/audit.js';
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
import { forDialect } from '../statements.js';
import type { AdminChange, AdminStore } from '../types.js';
import { appendAudit } from './audit.js';
import type { Db, Row, Sql } from './db.js';

const INSERT = forDialect(ADMIN_INSERT, 'postgres');
const UPDATE = forDialect(ADMIN_UPDATE, 'postgres');
const TOKEN = forDialect(TOKEN_INSERT, 'postgres');
const LOCK_OWNERS = `SELECT id FROM administrators WHERE role = 'owner' AND disabled = 0 ORDER BY id FOR UPDATE`;
// A mint holds its parent token and its administrators FOR SHARE: a revocation or a disable (FOR
// UPDATE, or the UPDATE itself) waits for it to commit and then revokes what it made, or goes
// first and the mint then sees the parent revoked or the administrator disabled.
const PARENT_LIVE = `${forDialect(TOKEN_PARENT_LIVE, 'postgres')} FOR SHARE`;
const LOCK_MINTERS = `SELECT id, disabled FROM administrators WHERE id = ANY($1) ORDER BY id FOR SHARE`;
const REVOKE_OF_ADMIN = forDialect(TOKENS_REVOKE_OF_ADMIN, 'postgres');
const REVOKE_CHILDREN = forDialect(TOKENS_REVOKE_CHILDREN, 'postgres');

/** Thrown inside a transaction to roll it back; `verdict` is what the caller answers. */
class Rollback extends Error {
  readonly verdict: AdminChange;
  constructor(verdict: AdminChange = 'conflict') {
    super(verdict);
    this.verdict = verdict;
  }
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';
const prefixes = (rows: Row[]) => rows.map((r) => String(r.prefix));

/** The tokens minted through the tokens revoked at `at` (this transaction), generation by generation. */
async function revokeDescendants(c: Sql, at: string): Promise<string[]> {
  const all: string[] = [];
  for (let gen = prefixes((await c.query(REVOKE_CHILDREN, [at, at])).rows); gen.length; gen = prefixes((await c.query(REVOKE_CHILDREN, [at, at])).rows)) {
    all.push(...gen);
  }
  return all;
}

/** Disabling or deleting an administrator: the tokens it minted for others, and all minted through them. */
const revokeAdminTokens = async (c: Sql, adminId: string, at: string): Promise<string[]> => [
  ...prefixes((await c.query(REVOKE_OF_ADMIN, [at, adminId, adminId])).rows),
  ...(await revokeDescendants(c, at)),
];

export function postgresAdmins(db: Db): AdminStore {
  const one = (rows: Row[]) => (rows[0] ? adminFromRow(rows[0]) : undefined);
  const owners = async (c: Sql) => Number((await c.query(OWNERS_COUNT)).rows[0].n);
  const change = async (fn: (c: Sql) => Promise<AdminChange>): Promise<AdminChange> => {
    try {
      return await db.tx(fn);
    } catch (err) {
      if (err instanceof Rollback) return err.verdict;
      if (isUniqueViolation(err) || isUniqueViolation((err as { cause?: unknown }).cause)) return 'conflict';
      throw err;
    }
  };
  return {
    async count() {
      return Number((await db.q('SELECT COUNT(*) AS n FROM administrators'))[0].n);
    },
    async list() {
      return (await db.q('SELECT * FROM administrators ORDER BY username_key')).map(adminFromRow);
    },
    async get(id) {
      return one(await db.q('SELECT * FROM administrators WHERE id = $1', [id]));
    },
    async getByUsername(username) {
      return one(await db.q('SELECT * FROM administrators WHERE username_key = $1', [usernameKey(username)]));
    },
    async getByExternal(issuer, subject) {
      return one(await db.q('SELECT * FROM administrators WHERE external_issuer = $1 AND external_subject = $2', [issuer, subject]));
    },
    create(a, e) {
      return change(async (c) => {
        if (!(await c.query(INSERT, adminInsertValues(a))).rowCount) return 'conflict';
        await appendAudit(c, e);
        return 'ok';
      });
    },
    async createFirst(a, codeHash, at, e) {
      try {
        return await db.tx(async (c) => {
          const took = await c.query('DELETE FROM admin_setup_code WHERE id = 1 AND code_hash = $1 AND expires_at > $2', [codeHash, at]);
          if (!took.rowCount) return false;
          // Two setups at once: the code row is gone for the second (its DELETE waited on the first).
          if (Number((await c.query('SELECT COUNT(*) AS n FROM administrators')).rows[0].n) > 0) throw new Rollback();
          if (!(await c.query(INSERT, adminInsertValues(a))).rowCount) throw new Rollback();
          await appendAudit(c, e);
          return true;
        });
      } catch (err) {
        if (err instanceof Rollback) return false;
        throw err;
      }
    },
    update(a, e?: AuditEntry, expected?: AdminRecord) {
      return change(async (c) => {
        await c.query(LOCK_OWNERS);
        const before = one((await c.query('SELECT * FROM administrators WHERE id = $1 FOR UPDATE', [a.id])).rows);
        if (!before) return 'not-found';
        if (expected && !unchangedSince(before, expected)) return 'conflict';
        await c.query(UPDATE, adminUpdateValues(a));
        if (isActiveOwner(before) && !isActiveOwner(a) && (await owners(c)) === 0) throw new Rollback('last-owner');
        if (endsSessions(before, a)) await c.query('DELETE FROM admin_sessions WHERE admin_id = $1', [a.id]);
        const revoked = a.disabled ? await revokeAdminTokens(c, a.id, a.updatedAt) : [];
        if (e) await appendAudit(c, withCascade(e, 'tokensRevoked', revoked));
        return 'ok';
      });
    },
    remove(id, e) {
      return change(async (c) => {
        await c.query(LOCK_OWNERS);
        const before = one((await c.query('SELECT * FROM administrators WHERE id = $1 FOR UPDATE', [id])).rows);
        if (!before) return 'not-found';
        const revoked = await revokeAdminTokens(c, id, e.at);
        await c.query('DELETE FROM administrators WHERE id = $1', [id]);
        if (isActiveOwner(before) && (await owners(c)) === 0) throw new Rollback('last-owner');
        await appendAudit(c, withCascade(e, 'tokensRevoked', revoked));
        return 'ok';
      });
    },
    async recordSignIn(id, at) {
      await db.run('UPDATE administrators SET last_sign_in_at = $1 WHERE id = $2', [at, id]);
    },
    async putSetupCode(codeHash, createdAt, expiresAt) {
      await db.run(
        `INSERT INTO admin_setup_code (id, code_hash, created_at, expires_at) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET code_hash = excluded.code_hash, created_at = excluded.created_at, expires_at = excluded.expires_at`,
        [codeHash, createdAt, expiresAt],
      );
    },
    async setupCode() {
      const [r] = await db.q('SELECT code_hash, expires_at FROM admin_setup_code WHERE id = 1');
      return r ? { codeHash: String(r.code_hash), expiresAt: String(r.expires_at) } : undefined;
    },
    async createSession(x) {
      await db.run('INSERT INTO admin_sessions (token_hash, admin_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        x.tokenHash,
        x.adminId,
        x.createdAt,
        x.lastSeenAt,
        x.expiresAt,
      ]);
    },
    async session(tokenHash) {
      const [r] = await db.q('SELECT * FROM admin_sessions WHERE token_hash = $1', [tokenHash]);
      return r ? sessionFromRow(r) : undefined;
    },
    async touchSession(tokenHash, at) {
      await db.run('UPDATE admin_sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1', [at, tokenHash]);
    },
    async deleteSession(tokenHash) {
      await db.run('DELETE FROM admin_sessions WHERE token_hash = $1', [tokenHash]);
    },
    async pruneSessions(now, idleBefore) {
      return db.run('DELETE FROM admin_sessions WHERE expires_at <= $1 OR last_seen_at < $2', [now, idleBefore]);
    },
    async createToken(t, e) {
      try {
        await db.tx(async (c) => {
          // The administrators first, then the parent token: the order a disable takes them in.
          const ids = [...new Set([t.mintedBy, t.adminId].filter((x): x is string => x !== undefined))];
          const live = (await c.query(LOCK_MINTERS, [ids])).rows.filter((r) => Number(r.disabled) === 0);
          if (live.length !== ids.length) throw new StoreConflictError('the administrator was disabled or removed');
          if (t.parentTokenId && !(await c.query(PARENT_LIVE, [t.parentTokenId])).rowCount)
            throw new StoreConflictError('the token minting this one was revoked');
          await c.query(TOKEN, tokenInsertValues(t));
          await appendAudit(c, e);
        });
      } catch (err) {
        // A prefix taken, or a deadlock with a concurrent change of one of the administrators
        // (which locks the owners first): nothing was written, the service tries again.
        if (isUniqueViolation(err) || isUniqueViolation((err as { cause?: unknown }).cause)) throw new StoreConflictError('API token prefix taken');
        if ((err as { code?: string }).code === '40P01') throw new StoreConflictError('deadlock with a concurrent change');
        throw err;
      }
    },
    async token(id) {
      const [r] = await db.q('SELECT * FROM api_tokens WHERE id = $1', [id]);
      return r ? tokenFromRow(r) : undefined;
    },
    async tokenByPrefix(prefix) {
      const [r] = await db.q('SELECT * FROM api_tokens WHERE prefix = $1', [prefix]);
      return r ? tokenFromRow(r) : undefined;
    },
    async tokens(adminId) {
      const rows =
        adminId === undefined
          ? await db.q('SELECT * FROM api_tokens ORDER BY created_at DESC, id')
          : await db.q('SELECT * FROM api_tokens WHERE admin_id = $1 ORDER BY created_at DESC, id', [adminId]);
      return rows.map(tokenFromRow);
    },
    async revokeToken(id, at, e) {
      return db.tx(async (c) => {
        if (!(await c.query('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id])).rowCount) return false;
        await appendAudit(c, withCascade(e, 'alsoRevoked', await revokeDescendants(c, at)));
        return true;
      });
    },
    async touchToken(id, at) {
      await db.run('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
    },
  };
}
