// The deployment examples, checked as far as this machine can: docker-compose.yml parses, every
// fenestra replica's environment passes fenestra's own configuration check, the replicas share
// what they must, the public host is set once (.env) and reaches both fenestra and nginx, the CA
// reaches nginx only after fenestra is healthy (and never its key), nginx is the trusted proxy by
// address, and the rendered nginx template passes `nginx -t` where nginx is installed (it is not
// on the CI machine: Docker Compose and nginx cannot run there).
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
const TEMPLATE = fs.readFileSync(path.join(ROOT, 'deploy', 'nginx.conf.template'), 'utf8');
const SAMPLE_HOST = 'mdm.contoso-sample.test';
const DOTENV: Record<string, string> = {
  PUBLIC_HOST: SAMPLE_HOST,
  POSTGRES_PASSWORD: 'pg-secret-value',
  FENESTRA_ADMIN_TOKEN: 'q7Vt2mXc9LrB4nWk8ZsJ1yHd6PfG3aQe5TuR0oNi', // as `openssl rand -base64 32` prints
  FENESTRA_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
};
/** Compose interpolation: ${VAR}, ${VAR:?message} (an error when unset or empty), ${VAR:-default}. */
function subst(v: string, env: Record<string, string> = DOTENV): string {
  return v.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, k: string, op?: string, arg?: string) => {
    const value = env[k];
    if (value) return value;
    if (op === '?') throw new Error(`${k}: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}
const services = compose.services as Record<string, any>;
const envOf = (name: string, env?: Record<string, string>) =>
  Object.fromEntries(Object.entries(services[name].environment as Record<string, string>).map(([k, v]) => [k, subst(String(v), env)]));

/**
 * What the nginx image's templates step does with NGINX_ENVSUBST_FILTER=PUBLIC_HOST: the
 * variables whose name starts so ($PUBLIC_HOST, ${PUBLIC_HOST}) are replaced, no other.
 */
function renderTemplate(host: string): string {
  return TEMPLATE.replace(/\$(\{)?(PUBLIC_HOST\w*)(\})?/g, (all, open?: string, name?: string, close?: string) =>
    name === 'PUBLIC_HOST' && Boolean(open) === Boolean(close) ? host : all,
  );
}

t.test('docker-compose.yml: two replicas on PostgreSQL behind nginx', async (t) => {
  t.same(Object.keys(services).sort(), ['ca-export', 'fenestra-1', 'fenestra-2', 'nginx', 'postgres']);
  const envs = ['fenestra-1', 'fenestra-2'].map((n) => envOf(n));
  for (const [i, env] of envs.entries()) {
    const cfg = loadConfig(env);
    t.equal(cfg.production, true, `replica ${i + 1}: production mode`);
    t.equal(cfg.publicUrl, `https://${SAMPLE_HOST}`, 'the public URL from PUBLIC_HOST');
    t.equal(cfg.database.kind, 'postgres', 'on PostgreSQL');
    t.match(cfg.database.kind === 'postgres' ? cfg.database.url : '', /@postgres:5432\/fenestra$/, 'the compose PostgreSQL service');
    t.same(cfg.adminListen, { host: '0.0.0.0', port: 9443 }, 'admin API on its own listener');
    t.same(cfg.trustedProxies, { proxies: ['172.28.0.10'], format: 'nginx' });
    t.equal(cfg.certsDir, '/data/certs', 'the CA in the data volume');
  }
  t.same(envs[0], envs[1], 'both replicas configured alike (same secret key, CA, database)');
  t.equal(services.nginx.networks.mdm.ipv4_address, '172.28.0.10', 'the trusted proxy address is nginx');
  t.same(services['fenestra-2'].depends_on, { 'fenestra-1': { condition: 'service_healthy' } }, 'the second replica starts after the first created the CA');
  t.same(services['fenestra-1'].volumes, ['fenestra-data:/data'], 'the CA lives in a shared volume, on the image path the unprivileged user owns');
  t.same(services['fenestra-2'].volumes, ['fenestra-data:/data']);
  t.same(services['fenestra-1'].healthcheck.test, ['CMD', 'node', 'dist/healthcheck.js'], 'healthy once /healthz answers');
  t.throws(
    () => envOf('fenestra-1', { ...DOTENV, PUBLIC_HOST: '' }),
    /PUBLIC_HOST: set PUBLIC_HOST in \.env/,
    'an empty PUBLIC_HOST stops Compose with a message',
  );
  for (const secret of ['POSTGRES_PASSWORD', 'FENESTRA_ADMIN_TOKEN', 'FENESTRA_SECRET_KEY']) {
    t.throws(() => envOf('fenestra-1', { ...DOTENV, [secret]: '' }), new RegExp(`${secret}: set ${secret}`), `so does an empty ${secret}`);
  }
  t.throws(
    () => loadConfig({ ...envs[0], FENESTRA_ADMIN_TOKEN: 'changeme-changeme-changeme' }),
    /FENESTRA_ADMIN_TOKEN contains the well-known word/,
    'a placeholder is caught at start-up',
  );
  const example = Object.fromEntries(
    fs
      .readFileSync(path.join(ROOT, 'deploy', 'example.env'), 'utf8')
      .split('\n')
      .filter((l) => /^\w+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  t.same(Object.keys(example).sort(), Object.keys(DOTENV).sort(), 'deploy/example.env names every variable Compose needs');
});

t.test('the CA hand-off: after fenestra is healthy, the certificate only', async (t) => {
  const exp = services['ca-export'];
  t.same(exp.depends_on, { 'fenestra-1': { condition: 'service_healthy' } }, 'runs once fenestra-1 answers, so the CA exists');
  t.same(exp.volumes, ['fenestra-data:/data:ro', 'ca-public:/ca'], 'reads the data volume, writes the public one');
  const script = exp.command.join(' ');
  t.match(script, /cp \/data\/certs\/ca\.pem /, 'copies the certificate');
  t.notMatch(script, /ca-key/, 'never the key');
  t.match(script, /mv \/ca\/ca\.pem\.new \/ca\/ca\.pem/, 'replaced in one rename: nginx never reads half a file');
  const nginx = services.nginx;
  t.same(nginx.depends_on['ca-export'], { condition: 'service_completed_successfully' }, 'nginx starts only once ca.pem is there (no restart loop)');
  t.ok((nginx.volumes as string[]).includes('ca-public:/etc/nginx/ca:ro'), 'nginx reads the CA from the public volume');
  t.notOk(
    (nginx.volumes as string[]).some((v) => v.startsWith('fenestra-data:')),
    'nginx never mounts the data volume (the CA key)',
  );
  t.match(TEMPLATE, /ssl_client_certificate \/etc\/nginx\/ca\/ca\.pem;/);
  t.match(TEMPLATE, /proxy_ssl_trusted_certificate \/etc\/nginx\/ca\/ca\.pem;/);
});

t.test('nginx: the template is rendered by the image with the public host', async (t) => {
  const nginx = services.nginx;
  t.ok(
    (nginx.volumes as string[]).includes('./deploy/nginx.conf.template:/etc/nginx/templates/nginx.conf.template:ro'),
    'the template where the image renders templates',
  );
  const env = envOf('nginx');
  t.same(
    env,
    { PUBLIC_HOST: SAMPLE_HOST, NGINX_ENVSUBST_OUTPUT_DIR: '/etc/nginx', NGINX_ENVSUBST_FILTER: 'PUBLIC_HOST' },
    'rendered to nginx.conf, PUBLIC_HOST only',
  );
  t.notMatch(TEMPLATE, /enterpriseenrollment\.example\.com/, 'no host is hard-coded');
  const conf = renderTemplate(SAMPLE_HOST);
  t.match(conf, new RegExp(`server_name ${SAMPLE_HOST.replaceAll('.', '\\.')};`), 'server_name is the public host');
  t.match(conf, new RegExp(`proxy_ssl_name ${SAMPLE_HOST.replaceAll('.', '\\.')};`), 'the name fenestra’s certificate is checked against');
  t.notMatch(conf, /\$\{/, 'nothing left to substitute');
  for (const v of ['$host', '$remote_addr', '$ssl_client_escaped_cert']) t.ok(conf.includes(v), `nginx's own ${v} is kept`);
});

const nginxBin = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
t.test('the rendered nginx.conf passes nginx -t', { skip: nginxBin.error ? 'nginx is not installed on this machine' : false }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-nginx-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ca = generateCa({ commonName: 'test CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), { hostnames: [SAMPLE_HOST] });
  fs.mkdirSync(path.join(dir, 'tls'));
  fs.mkdirSync(path.join(dir, 'ca'));
  fs.writeFileSync(path.join(dir, 'ca', 'ca.pem'), ca.certPem);
  fs.writeFileSync(path.join(dir, 'tls', 'tls.pem'), tls.certPem);
  fs.writeFileSync(path.join(dir, 'tls', 'tls-key.pem'), tls.keyPem);
  // Upstream host names resolve only inside Compose: point them at loopback for the syntax check.
  const conf = renderTemplate(SAMPLE_HOST)
    .replaceAll('/etc/nginx/tls', path.join(dir, 'tls'))
    .replaceAll('/etc/nginx/ca', path.join(dir, 'ca'))
    .replace(/fenestra-[12]:8443/g, '127.0.0.1:8443');
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\n${conf}`);
  const r = spawnSync('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  // Without the CA nginx would not start: what the ca-export step prevents.
  fs.rmSync(path.join(dir, 'ca', 'ca.pem'));
  const without = spawnSync('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
  t.not(without.status, 0, 'nginx -t fails while ca.pem is missing');
});
