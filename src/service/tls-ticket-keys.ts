// TLS session-ticket keys. Windows resumes its TLS session between OMA-DM sessions (SChannel
// keeps a session cache for hours): a resumed handshake spares the RSA signature and the
// certificate chain work of a full one. A TLS 1.2 ticket is the session's master secret encrypted
// under the ticket key, so whoever holds that key can decrypt every recorded session whose ticket
// it made. The key is therefore random (48 bytes, never derived from anything kept), one per
// period, shared by every worker and replica through the store (so any of them resumes any
// other's sessions), and deleted from the store as soon as the next period's key exists: once a
// key is gone, the sessions it covered stay private even to someone holding the server secret and
// a later backup. In the store it is sealed with a key derived from the server secret, so a
// database dump alone (pg_dump) does not reveal the current key either; SQLite backups leave the
// table out altogether (ops/backup).
//
// Node's TLS server holds one ticket key at a time: a ticket made before a rotation does not
// resume after it (the device does one full handshake), so a ticket never outlives its period.
import crypto from 'node:crypto';
import { decrypt, encrypt } from '../identity/secret-box.js';
import type { TlsTicketKeyStore } from '../store/types.js';

export const TICKET_PERIOD_MS = 12 * 3_600_000;
/** How often each process looks for a newer key (another replica may have rotated). */
export const TICKET_POLL_MS = 60_000;

export interface TicketKeyOptions {
  store: TlsTicketKeyStore;
  /** 32-byte key sealing the ticket keys at rest. */
  sealKey: Buffer;
  periodMs?: number;
  now?: () => number;
}

export class TicketKeys {
  readonly periodMs: number;
  private readonly now: () => number;
  private key?: Buffer;
  private period = -1;
  private readonly opts: TicketKeyOptions;

  constructor(opts: TicketKeyOptions) {
    this.opts = opts;
    this.periodMs = opts.periodMs ?? TICKET_PERIOD_MS;
    this.now = opts.now ?? Date.now;
  }

  /** The key in use (after the first refresh). */
  get current(): Buffer {
    if (!this.key) throw new Error('ticket keys not loaded');
    return this.key;
  }

  /**
   * Reads (or creates) the key of the current period from the store. Returns the key when it
   * changed, else undefined. When the store cannot be reached and the period is over, the
   * process moves on to a key of its own rather than keep an expired one (sessions then resume
   * only on this process until the store answers again).
   */
  async refresh(): Promise<Buffer | undefined> {
    const at = this.now();
    const period = Math.floor(at / this.periodMs);
    let next: { period: number; key: Buffer };
    try {
      const candidate = encrypt(crypto.randomBytes(48).toString('base64'), this.opts.sealKey);
      const got = await this.opts.store.current(period, candidate, new Date(at).toISOString());
      next = { period: got.period, key: Buffer.from(decrypt(got.sealedKey, this.opts.sealKey), 'base64') };
      if (next.key.length !== 48) throw new Error('stored TLS ticket key is not 48 bytes');
    } catch (err) {
      if (this.key && this.period >= period) throw err;
      this.period = period;
      this.key = crypto.randomBytes(48);
      throw err;
    }
    if (this.key && next.period === this.period && next.key.equals(this.key)) return undefined;
    this.period = next.period;
    this.key = next.key;
    return next.key;
  }
}
