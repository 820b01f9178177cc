// The SQLite files hold digest credentials and sealed secrets: owner-only. SQLite gives the WAL
// and shared-memory files the database file's permissions, so creating it 0600 covers them; an
// existing database (and its WAL/SHM) is brought to 0600 when it is opened.
import fs from 'node:fs';
import path from 'node:path';

export function ownerOnlyDatabase(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch {
      // Absent (no WAL yet), or not ours to change (another owner, a read-only mount): open it as it is.
    }
  }
}
