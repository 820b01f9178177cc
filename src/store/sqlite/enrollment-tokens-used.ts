// SQLite: the one-time ids of consumed federated enrollment tokens (see EnrollmentTokensUsedStore).
import type Database from 'better-sqlite3';
import type { EnrollmentTokensUsedStore } from '../types.js';

export function sqliteEnrollmentTokensUsed(db: Database.Database): EnrollmentTokensUsedStore {
  const purge = db.prepare('DELETE FROM enrollment_tokens_used WHERE expires_at < ?');
  const ins = db.prepare('INSERT INTO enrollment_tokens_used (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING');
  const consume = db.transaction((jti: string, expiresAt: string, now: string) => {
    purge.run(now);
    return ins.run(jti, expiresAt).changes === 1;
  }).immediate;
  return {
    async consume(jti, expiresAt, now) {
      return consume(jti, expiresAt, now);
    },
  };
}
