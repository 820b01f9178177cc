// `fenestra backup <dir>`: everything needed to restore this server, taken while it serves.
//   fenestra.db   a consistent snapshot of the SQLite store (VACUUM INTO: one read transaction,
//                 so the server keeps writing — WAL readers do not block writers)
//   secret.key    the key that encrypts stored secrets and signs server blobs (unless given by
//                 FENESTRA_SECRET_KEY: then keep that value yourself)
//   ca.pem, ca-key.pem   the device CA: without its key, enrolled devices cannot renew and
//                 their certificates are no longer recognised after a restore
//   tls.pem, tls-key.pem when fenestra generated them
//   admin-token   when fenestra generated it
// PostgreSQL deployments back up the database with pg_dump and the same files.
// Everything is written owner-only (directory 0700, files 0600). The snapshot leaves out the TLS
// session-ticket keys: a restored server makes a new one, and a leaked backup decrypts no recorded
// TLS session (with pg_dump: --exclude-table-data=tls_ticket_keys).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config.js';

export interface BackupResult {
  dir: string;
  files: string[];
  databaseBytes?: number;
}

const copyIfExists = (from: string, dir: string, files: string[]) => {
  if (!fs.existsSync(from)) return;
  const to = path.join(dir, path.basename(from));
  fs.copyFileSync(from, to);
  fs.chmodSync(to, 0o600);
  files.push(path.basename(from));
};

function withoutTicketKeys(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    // No journal file that would hold the deleted pages; the deleted rows are zeroed in the file.
    db.pragma('journal_mode = MEMORY');
    db.pragma('secure_delete = ON');
    const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tls_ticket_keys'`).get();
    if (table) db.exec('DELETE FROM tls_ticket_keys');
  } finally {
    db.close();
  }
}

export function backup(cfg: Config, dir: string): BackupResult {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (fs.readdirSync(dir).length > 0) throw new Error(`${dir} is not empty: back up into a new directory`);
  fs.chmodSync(dir, 0o700);
  const files: string[] = [];
  const out: BackupResult = { dir, files };
  if (cfg.database.kind === 'sqlite') {
    if (!fs.existsSync(cfg.database.file)) throw new Error(`no database at ${cfg.database.file}`);
    const db = new Database(cfg.database.file, { readonly: true, fileMustExist: true });
    const copy = path.join(dir, 'fenestra.db');
    // VACUUM INTO writes into an empty file: created 0600 first, so the copy is never readable to others.
    fs.closeSync(fs.openSync(copy, 'wx', 0o600));
    try {
      db.pragma('busy_timeout = 10000');
      db.prepare('VACUUM INTO ?').run(copy);
    } finally {
      db.close();
    }
    withoutTicketKeys(copy);
    files.push('fenestra.db');
    out.databaseBytes = fs.statSync(path.join(dir, 'fenestra.db')).size;
  }
  if (!cfg.secretKey) copyIfExists(path.join(cfg.dataDir, 'secret.key'), dir, files);
  if (!cfg.adminToken) copyIfExists(path.join(cfg.dataDir, 'admin-token'), dir, files);
  if (cfg.ca) {
    copyIfExists(cfg.ca.certFile, dir, files);
    copyIfExists(cfg.ca.keyFile, dir, files);
  } else {
    copyIfExists(path.join(cfg.certsDir, 'ca.pem'), dir, files);
    copyIfExists(path.join(cfg.certsDir, 'ca-key.pem'), dir, files);
  }
  if (!cfg.tls) {
    copyIfExists(path.join(cfg.certsDir, 'tls.pem'), dir, files);
    copyIfExists(path.join(cfg.certsDir, 'tls-key.pem'), dir, files);
  }
  return out;
}
