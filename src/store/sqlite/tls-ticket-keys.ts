// SQLite: the shared TLS session-ticket key (see TlsTicketKeyStore).
import type Database from 'better-sqlite3';
import type { Row } from '../rows.js';
import type { TlsTicketKeyStore } from '../types.js';

export function sqliteTlsTicketKeys(db: Database.Database): TlsTicketKeyStore {
  const ins = db.prepare(
    `INSERT INTO tls_ticket_keys (period, sealed_key, created_at)
     SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM tls_ticket_keys WHERE period >= ?)`,
  );
  const newest = db.prepare('SELECT period, sealed_key FROM tls_ticket_keys ORDER BY period DESC LIMIT 1');
  // Overwritten in place before the delete: a deleted row's bytes would stay in the file's free space.
  const scrub = db.prepare(`UPDATE tls_ticket_keys SET sealed_key = substr(?, 1, length(sealed_key)) WHERE period < ?`);
  const discard = db.prepare('DELETE FROM tls_ticket_keys WHERE period < ?');
  const filler = '0'.repeat(512);
  const current = db.transaction((period: number, sealedKey: string, at: string) => {
    ins.run(period, sealedKey, at, period);
    const r = newest.get() as Row;
    scrub.run(filler, r.period);
    discard.run(r.period);
    return { period: Number(r.period), sealedKey: String(r.sealed_key) };
  }).immediate;
  return {
    async current(period, sealedKey, at) {
      return current(period, sealedKey, at);
    },
  };
}
