// PostgreSQL: the one-time ids of consumed federated enrollment tokens (see EnrollmentTokensUsedStore).
// Two replicas given the same token: the primary key lets one insert win.
import type { EnrollmentTokensUsedStore } from '../types.js';
import type { Db } from './db.js';

export function postgresEnrollmentTokensUsed(db: Db): EnrollmentTokensUsedStore {
  return {
    async consume(jti, expiresAt, now) {
      await db.q('DELETE FROM enrollment_tokens_used WHERE expires_at < $1', [now]);
      const rows = await db.q('INSERT INTO enrollment_tokens_used (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING RETURNING jti', [
        jti,
        expiresAt,
      ]);
      return rows.length === 1;
    },
  };
}
