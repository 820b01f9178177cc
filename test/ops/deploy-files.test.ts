// The deployment examples, checked as far as this machine can: docker-compose.yml parses, every
// fenestra replica's environment passes fenestra's own configuration check, the replicas share
// what they must, nginx is the trusted proxy by address, and nginx.conf passes `nginx -t` where
// nginx is installed (it is not on the CI machine: Docker Compose and nginx cannot run here).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';

const ROOT = path.resolve('.');
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const DOTENV: Record<string, string> = {
  PUBLIC_HOST: 'enterpriseenrollment.example.com',
  POSTGRES_PASSWORD: 'pg-secret-value',
  FENESTRA_ADMIN_TOKEN: 'q7Vt2mXc9LrB4nWk8ZsJ1yHd6PfG3aQe5TuR0oNi', // as `openssl rand -base64 32` prints
  FENESTRA_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
};
const subst = (v: string) => v.replace(/\$\{(\w+)\}/g, (_, k: string) => DOTENV[k] ?? '');

t.test('docker-compose.yml: two replicas on PostgreSQL behind nginx', async (t) => {
  const services = compose.services as Record<string, any>;
  t.same(Object.keys(services).sort(), ['fenestra-1', 'fenestra-2', 'nginx', 'postgres']);
  const envs = ['fenestra-1', 'fenestra-2'].map((n) =>
    Object.fromEntries(Object.entries(services[n].environment as Record<string, string>).map(([k, v]) => [k, subst(String(v))])),
  );
  for (const [i, env] of envs.entries()) {
    const cfg = loadConfig(env);
    t.equal(cfg.production, true, `replica ${i + 1}: production mode`);
    t.equal(cfg.database.kind, 'postgres', 'on PostgreSQL');
    t.match(cfg.database.kind === 'postgres' ? cfg.database.url : '', /@postgres:5432\/fenestra$/, 'the compose PostgreSQL service');
    t.same(cfg.adminListen, { host: '0.0.0.0', port: 9443 }, 'admin API on its own listener');
    t.same(cfg.trustedProxies, { proxies: ['172.28.0.10'], format: 'nginx' });
  }
  t.same(envs[0], envs[1], 'both replicas configured alike (same secret key, CA, database)');
  t.equal(services.nginx.networks.mdm.ipv4_address, '172.28.0.10', 'the trusted proxy address is nginx');
  t.same(services['fenestra-2'].depends_on, { 'fenestra-1': { condition: 'service_healthy' } }, 'the second replica starts after the first created the CA');
  t.same(services['fenestra-1'].volumes, ['keys:/keys'], 'the CA lives in a shared volume');
  t.same(services['fenestra-2'].volumes, ['keys:/keys']);
  t.ok(
    (services.nginx.volumes as string[]).includes('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro') && fs.existsSync(path.join(ROOT, 'deploy', 'nginx.conf')),
    'nginx gets deploy/nginx.conf',
  );
  t.throws(
    () => loadConfig({ ...envs[0], FENESTRA_ADMIN_TOKEN: '' }),
    /FENESTRA_ADMIN_TOKEN is required in production/,
    'a missing .env value is caught at start-up',
  );
  t.throws(
    () => loadConfig({ ...envs[0], FENESTRA_ADMIN_TOKEN: 'changeme-changeme-changeme' }),
    /FENESTRA_ADMIN_TOKEN contains the well-known word/,
    'so is a placeholder',
  );
});

const nginx = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
t.test('deploy/nginx.conf passes nginx -t', { skip: nginx.error ? 'nginx is not installed on this machine' : false }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-nginx-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ca = generateCa({ commonName: 'test CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), { hostnames: ['enterpriseenrollment.example.com'] });
  fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
  fs.writeFileSync(path.join(dir, 'tls.pem'), tls.certPem);
  fs.writeFileSync(path.join(dir, 'tls-key.pem'), tls.keyPem);
  // Upstream host names resolve only inside Compose: point them at loopback for the syntax check.
  const conf = fs
    .readFileSync(path.join(ROOT, 'deploy', 'nginx.conf'), 'utf8')
    .replaceAll('/etc/nginx/tls', dir)
    .replace(/fenestra-[12]:8443/g, '127.0.0.1:8443');
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\n${conf}`);
  const r = spawnSync('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
});
