// bench/sqlite-sync: what synchronous=FULL costs an enrollment commit on this machine's disk,
// next to NORMAL: what the store avoids on its event loop by committing enrollments and renewals
// with NORMAL and then syncing the WAL file on the thread pool before the device is answered. Measured on the store's own schema
// with enrollment-sized rows (a device row and a certificate row of ~1.3 KB DER), in WAL mode:
// one enrollment per transaction (a lone device), and groups of 16 (the group commit under load).
//
//   npm run -s bench:build && node dist-bench/bench/sqlite-sync.js [--commits 300]
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../src/store/migrations.js';
import { fmt, summarize } from './stats.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

function open(file: string, sync: 'NORMAL' | 'FULL') {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.pragma('foreign_keys = ON');
  for (const m of MIGRATIONS) db.exec(m.sql);
  const dev = db.prepare(
    `INSERT INTO devices (id, device_id, enrollment_type, auth_method, state, enrolled_at, updated_at, dm_username, dm_password_digest, dm_server_name, dm_server_digest, dm_nonce)
     VALUES (?, ?, 'Full', 'OnPremise', 'enrolled', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const cert = db.prepare(
    `INSERT INTO certificates (serial, device_pk, thumbprint, subject, not_before, not_after, issued_at, status, der_base64)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
  );
  const der = crypto.randomBytes(1300).toString('base64');
  const one = () => {
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    const h = () => crypto.randomBytes(16).toString('hex');
    dev.run(id, h().toUpperCase(), at, at, h(), h(), 'fenestra', h(), h());
    cert.run(h(), id, h() + h().slice(0, 8), `CN=${id}`, at, at, at, der);
  };
  const tx = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) one();
  }).immediate;
  return { db, tx };
}

function run(sync: 'NORMAL' | 'FULL', group: number, commits: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-sync-'));
  const { db, tx } = open(path.join(dir, 'db.sqlite'), sync);
  for (let i = 0; i < 20; i++) tx(group);
  const lat: number[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < commits; i++) {
    const s = process.hrtime.bigint();
    tx(group);
    lat.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const s = summarize(lat);
  return { perEnrollmentMs: (secs * 1000) / (commits * group), enrollmentsPerSec: (commits * group) / secs, p50: s.p50, p99: s.p99 };
}

const commits = arg('--commits', 300);
console.log(`fenestra bench/sqlite-sync (${os.tmpdir()}, ${commits} commits per case, WAL)`);
for (const group of [1, 16]) {
  for (const sync of ['NORMAL', 'FULL'] as const) {
    const r = run(sync, group, commits);
    console.log(
      `  ${String(group).padStart(2)} enrollment(s)/commit, synchronous=${sync.padEnd(6)}: commit p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms; ` +
        `${fmt(r.perEnrollmentMs, 3)} ms per enrollment (${fmt(r.enrollmentsPerSec, 0)}/s on one connection)`,
    );
  }
}
