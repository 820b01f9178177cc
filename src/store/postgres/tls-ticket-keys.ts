// PostgreSQL: the shared TLS session-ticket key (see TlsTicketKeyStore). Replicas racing to
// create a period's key: the primary key keeps one, and every replica reads the one that stayed.
import type { TlsTicketKeyStore } from '../types.js';
import type { Db } from './db.js';

export function postgresTlsTicketKeys(db: Db): TlsTicketKeyStore {
  return {
    async current(period, sealedKey, at) {
      return db.tx(async (c) => {
        await c.query(
          `INSERT INTO tls_ticket_keys (period, sealed_key, created_at)
           SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM tls_ticket_keys WHERE period >= $1)
           ON CONFLICT (period) DO NOTHING`,
          [period, sealedKey, at],
        );
        const { rows } = await c.query('SELECT period, sealed_key FROM tls_ticket_keys ORDER BY period DESC LIMIT 1');
        await c.query('DELETE FROM tls_ticket_keys WHERE period < $1', [rows[0].period]);
        return { period: Number(rows[0].period), sealedKey: String(rows[0].sealed_key) };
      });
    },
  };
}
