// What fenestra writes holds digest credentials, sealed secrets and private keys: the data,
// certificate and backup directories are 0700 and every file in them (database, WAL, SHM, keys,
// certificates, the backup copies) 0600, even under a permissive umask and when an earlier
// version left them readable. A backup carries no TLS session-ticket key.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { backup } from '../../src/ops/backup.js';
import { startTestServer } from '../helpers/server.js';

/** Every entry under `dir` (itself included) whose mode is not owner-only, as "path mode". */
function loose(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want) out.push(`${p} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return out;
}

t.test('data, certificates and backups are owner-only; a backup has no ticket key', async (t) => {
  const umask = process.umask(0o022); // a usual shell umask: new files 0644 unless fenestra says otherwise
  t.teardown(() => void process.umask(umask));
  const s = await startTestServer({}, { database: 'sqlite' });
  t.teardown(() => s.close());
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'modes@contoso.com', password: 'modes-password-1' })).status, 201);
  const data = path.join(s.dir, 'data');
  const certs = path.join(s.dir, 'certs');
  t.ok(fs.existsSync(path.join(data, 'fenestra.db-wal')) && fs.existsSync(path.join(data, 'fenestra.db-shm')), 'WAL and SHM exist while serving');
  t.same(loose(data), [], 'data directory');
  t.same(loose(certs), [], 'certificates directory');

  const cfg = loadConfig({ FENESTRA_DATA_DIR: data, FENESTRA_CERTS_DIR: certs });
  const dest = path.join(s.dir, 'backup');
  const r = backup(cfg, dest);
  t.ok(r.files.includes('fenestra.db') && r.files.includes('secret.key'));
  t.same(loose(dest), [], 'backup directory');
  const live = new Database(path.join(data, 'fenestra.db'), { readonly: true });
  t.teardown(() => live.close());
  t.equal((live.prepare('SELECT COUNT(*) AS n FROM tls_ticket_keys').get() as { n: number }).n, 1, 'the live store has the key');
  const copy = new Database(path.join(dest, 'fenestra.db'), { readonly: true });
  t.teardown(() => copy.close());
  t.equal((copy.prepare('SELECT COUNT(*) AS n FROM tls_ticket_keys').get() as { n: number }).n, 0, 'the backup does not');
});

t.test('files an earlier version left readable are restricted at start', async (t) => {
  const first = await startTestServer({}, { database: 'sqlite' });
  const data = path.join(first.dir, 'data');
  const certs = path.join(first.dir, 'certs');
  await first.server.close();
  for (const d of [data, certs]) {
    fs.chmodSync(d, 0o755);
    for (const f of fs.readdirSync(d)) fs.chmodSync(path.join(d, f), 0o644);
  }
  const again = await startTestServer(
    { FENESTRA_DATA_DIR: data, FENESTRA_CERTS_DIR: certs, FENESTRA_DATABASE_URL: `sqlite:${path.join(data, 'fenestra.db')}` },
    { database: 'sqlite' },
  );
  t.teardown(async () => {
    await again.close();
    await first.close();
  });
  t.same(loose(data), []);
  t.same(loose(certs), []);
});
