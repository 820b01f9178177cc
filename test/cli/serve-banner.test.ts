// `fenestra serve` says, once listening, where devices enroll (the discovery URL), which CA file
// clients trust, and where the admin token is kept.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { freePort } from '../helpers/child-server.js';
import { ensureBuilt } from './run-cli.js';

// The first CLI run may build dist/ (bin/fenestra.js), slow on a busy machine.
t.setTimeout(360_000);

/** Starts the built CLI's serve and resolves with its stdout once the banner's last line is out. */
async function serveBanner(t: Test, env: Record<string, string>): Promise<string> {
  await ensureBuilt();
  const child = spawn(process.execPath, [path.resolve('dist/cli.js'), 'serve'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/admin token: .*\n/.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before its banner:\n${out}${err}`)));
  });
}

t.test('generated token and CA: their files, and the discovery host to point at the server', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-banner-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const out = await serveBanner(t, {
    FENESTRA_LISTEN: `127.0.0.1:${port}`,
    FENESTRA_PUBLIC_URL: 'https://mdm.contoso.test',
    FENESTRA_DATA_DIR: path.join(dir, 'data'),
    FENESTRA_CERTS_DIR: path.join(dir, 'certs'),
    FENESTRA_LOG_LEVEL: 'warn',
  });
  t.match(out, 'fenestra: devices enroll at https://mdm.contoso.test/EnrollmentServer/Discovery.svc\n');
  t.match(out, 'point enterpriseenrollment.contoso.test (DNS) at this server');
  t.match(out, `device CA (issues device certificates): ${path.join(dir, 'certs', 'ca.pem')}\n`);
  t.match(out, `clients trust ${path.join(dir, 'certs', 'ca.pem')}`);
  t.match(out, `admin token: ${path.join(dir, 'data', 'admin-token')}`);
  t.ok(fs.existsSync(path.join(dir, 'data', 'admin-token')), 'the token is where the banner says');
  t.ok(fs.existsSync(path.join(dir, 'certs', 'ca.pem')), 'the CA file is where the banner says');
});

t.test('an enterpriseenrollment host on a port: found by itself for its domain, on 443 only', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-banner-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const out = await serveBanner(t, {
    FENESTRA_LISTEN: `127.0.0.1:${port}`,
    FENESTRA_PUBLIC_URL: `https://enterpriseenrollment.fabrikam.test:${port}`,
    FENESTRA_DATA_DIR: path.join(dir, 'data'),
    FENESTRA_CERTS_DIR: path.join(dir, 'certs'),
    FENESTRA_ADMIN_TOKEN: 'a-token-of-at-least-24-characters',
    FENESTRA_LOG_LEVEL: 'warn',
  });
  t.match(out, `devices enroll at https://enterpriseenrollment.fabrikam.test:${port}/EnrollmentServer/Discovery.svc\n`);
  t.match(out, `port ${port}: Windows finds a server by itself on 443 only`);
  t.match(out, 'Windows finds it by itself for users @fabrikam.test');
  t.match(out, 'admin token: from FENESTRA_ADMIN_TOKEN');
  t.notOk(fs.existsSync(path.join(dir, 'data', 'admin-token')), 'no token file when the token is given');
});
