// The served OpenAPI document passes a real OpenAPI linter (Redocly CLI, recommended rules,
// configured in redocly.yaml), with no error and no warning; a broken document fails it. Also:
// every operation has an operationId, a summary, tags and a schema for each reply, and
// `servers` is the URL the admin API is reached at.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { PUBLIC_HOST, PUBLIC_URL, startTestServer } from '../helpers/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

/** Runs `redocly lint` on the document with the repository's redocly.yaml; nothing is sent anywhere. */
function lint(doc: unknown, dir: string, name: string): Promise<LintReport> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'lint', '--config', path.join(ROOT, 'redocly.yaml'), '--format=json', file],
      {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      },
      // Exit code 1 when problems are found: the JSON report on stdout says which.
      (err, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as LintReport);
        } catch {
          reject(new Error(`redocly lint printed no report: ${err?.message ?? ''} ${stderr}`));
        }
      },
    );
  });
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const operations = (doc: any): [string, any][] =>
  Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.entries(item as Record<string, any>)
      .filter(([m]) => METHODS.includes(m))
      .map(([m, op]): [string, any] => [`${m.toUpperCase()} ${p}`, op]),
  );

t.test('OpenAPI document', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-openapi-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = await startTestServer();
  t.teardown(() => s.close());
  const r = await s.admin('GET', '/api/v1/openapi.json');
  t.equal(r.status, 200);
  const doc = r.json;

  await t.test('passes redocly lint: no error, no warning', async (t) => {
    const report = await lint(doc, dir, 'openapi.json');
    t.same(
      report.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`),
      [],
    );
    t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 });
  });

  await t.test('the linter fails a broken document', async (t) => {
    const broken = structuredClone(doc);
    broken.paths['/api/v1/tenants/{tenantId}'].get.operationId = 'listTenants';
    delete broken.paths['/api/v1/groups'].get.summary;
    const report = await lint(broken, dir, 'broken.json');
    t.ok(report.totals.errors >= 2, 'errors counted');
    const rules = report.problems.filter((p) => p.severity === 'error').map((p) => p.ruleId);
    t.ok(rules.includes('operation-operationId-unique'), 'duplicate operationId');
    t.ok(rules.includes('operation-summary'), 'missing summary');
  });

  await t.test('every operation: operationId (camelCase, unique), summary, tags, a schema for each reply', async (t) => {
    const ops = operations(doc);
    t.ok(ops.length >= 40, `${ops.length} operations`);
    const ids = new Set<string>();
    for (const [name, op] of ops) {
      t.match(op.operationId, /^[a-z][A-Za-z]+$/, `${name}: operationId`);
      t.notOk(ids.has(op.operationId), `${name}: ${op.operationId} is unique`);
      ids.add(op.operationId);
      t.ok(op.summary, `${name}: summary`);
      t.ok(op.tags?.length, `${name}: tags`);
      const statuses = Object.keys(op.responses);
      t.ok(
        statuses.some((c) => /^2\d\d$/.test(c)),
        `${name}: a 2xx reply`,
      );
      t.ok(statuses.includes('401') && statuses.includes('503'), `${name}: 401 and 503`);
      for (const [code, reply] of Object.entries(op.responses) as [string, { content?: Record<string, { schema?: unknown }> }][]) {
        if (code === '204') t.notOk(reply.content, `${name}: 204 has no body`);
        else t.ok(reply.content && Object.values(reply.content).every((c) => c.schema), `${name}: ${code} has a schema`);
      }
    }
  });

  await t.test('profile settings typed per kind: oneOf chosen by kind, referencing the kind components', async (t) => {
    const schemas = doc.components.schemas;
    for (const kind of ['Vpn', 'Wifi', 'Email', 'Certificate', 'Hello', 'Custom']) {
      t.ok(schemas[`${kind}Settings`], `${kind}Settings`);
      t.same(schemas[`${kind}ProfileCreate`].properties.settings, { $ref: `#/components/schemas/${kind}Settings` });
    }
    const create = doc.paths['/api/v1/profiles'].post;
    t.same(create.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/ProfileCreate' });
    t.same(schemas.ProfileCreate.discriminator, { propertyName: 'kind' });
    t.equal(schemas.ProfileCreate.oneOf.length, 7);
    t.same(create.responses['201'].content['application/json'].schema, { $ref: '#/components/schemas/Profile' });
    t.same(doc.paths['/api/v1/profiles/{id}'].get.responses['200'].content['application/json'].schema, {
      $ref: '#/components/schemas/ProfileDetail',
    });
    t.same(doc.paths['/api/v1/profiles/{id}'].patch.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/ProfilePatch' });
    t.same(schemas.WifiProfile.properties.kind, { type: 'string', const: 'wifi' });
  });

  t.test('servers: the public URL', async (t) => {
    t.same(doc.servers, [{ url: PUBLIC_URL, description: 'this server' }]);
    t.equal(doc.openapi, '3.1.0');
  });
});

t.test('servers: the admin listener, when FENESTRA_ADMIN_LISTEN splits it off', async (t) => {
  const s = await startTestServer({ FENESTRA_ADMIN_LISTEN: '127.0.0.1:0' });
  t.teardown(() => s.close());
  const r = await s.admin('GET', '/api/v1/openapi.json');
  t.equal(r.status, 200);
  t.ok(s.server.adminPort, 'split');
  t.same(r.json.servers, [{ url: `https://${PUBLIC_HOST}:${s.server.adminPort}`, description: 'this server' }]);
});
