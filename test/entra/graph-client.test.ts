// The Graph client and token provider on their own, against the fake Entra ID and Graph over
// HTTPS: paging through @odata.nextLink with the delta link handed back, throttling (429 with
// Retry-After, then capped exponential back-off when Graph gives none), Graph's errors as
// GraphError, one token request for many calls (MSAL's cache), and links off the tenant's Graph
// host refused. Also: FENESTRA_TEST_OUTBOUND only with FENESTRA_ENV=test.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfig, ConfigError } from '../../src/config.js';
import type { Tenant } from '../../src/domain/tenant.js';
import { sealAppCredential } from '../../src/service/entra/credentials.js';
import { GraphClient, GraphError } from '../../src/service/entra/graph-client.js';
import { EntraAppTokens } from '../../src/service/entra/token-provider.js';
import { startMicrosoftFakes } from '../helpers/microsoft-fakes.js';

const fakes = await startMicrosoftFakes();
const { entra, graph } = fakes;
const outbound = fakes.outbound();
t.teardown(async () => {
  outbound.close();
  await fakes.close();
});

const key = crypto.randomBytes(32);
const tenantId = crypto.randomUUID();
const clientId = crypto.randomUUID();
entra.addTenant({ tenantId, cloud: 'standard' });
entra.addApplication({ clientId, displayName: 'Fenestra', secret: 'a-good-secret' });
entra.consent(tenantId, clientId, ['GroupMember.Read.All']);
const tenant: Tenant = {
  tenantId,
  cloud: 'standard',
  audiences: ['x'],
  appClientId: clientId,
  appCredential: sealAppCredential({ kind: 'secret', secret: 'a-good-secret' }, key, '/credential'),
  createdAt: '',
  updatedAt: '',
};
const waits: number[] = [];
const client = new GraphClient({
  outbound,
  tokens: new EntraAppTokens({ outbound, sealKey: key }),
  maxAttempts: 4,
  sleep: async (ms) => {
    waits.push(ms);
  },
});

let calls = 0;
graph.addRoute('GET', /^\/v1\.0\/groups\/delta$/, (c) => {
  calls++;
  const page = Number(c.query.get('page') ?? '0');
  if (page < 2) return { body: { value: [{ id: `g${page}` }], '@odata.nextLink': `https://graph.microsoft.com/v1.0/groups/delta?page=${page + 1}` } };
  return { body: { value: [{ id: 'g2' }], '@odata.deltaLink': 'https://graph.microsoft.com/v1.0/groups/delta?token=abc' } };
});
graph.addRoute('GET', /^\/v1\.0\/unavailable$/, () => ({ status: 503, body: { error: { code: 'serviceNotAvailable', message: 'try later' } } }));
graph.addRoute('GET', /^\/v1\.0\/forbidden$/, () => ({
  status: 403,
  body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges' } },
}));

t.test('pages follow nextLink and hand back the delta link; one token for all of them', async (t) => {
  const tokensBefore = entra.tokenAuth.length;
  let delta: string | undefined;
  const ids: string[] = [];
  for await (const page of client.pages<{ id: string }>(tenant, '/v1.0/groups/delta', { onDeltaLink: (l) => (delta = l) })) ids.push(...page.map((g) => g.id));
  t.same(ids, ['g0', 'g1', 'g2']);
  t.equal(delta, 'https://graph.microsoft.com/v1.0/groups/delta?token=abc');
  await client.get(tenant, '/v1.0/groups/delta?page=2');
  t.equal(entra.tokenAuth.length - tokensBefore <= 1, true, 'MSAL reuses the cached token');
});

t.test('429 waits Retry-After, then the call goes through', async (t) => {
  waits.length = 0;
  calls = 0;
  graph.throttle(2, 7);
  const page = await client.get<{ value: unknown[] }>(tenant, '/v1.0/groups/delta?page=2');
  t.equal(page.value.length, 1);
  t.same(waits, [7000, 7000]);
  t.equal(calls, 1);
});

t.test('503 without Retry-After backs off exponentially, then gives up with GraphError', async (t) => {
  waits.length = 0;
  const err = await client.get(tenant, '/v1.0/unavailable').catch((e: unknown) => e);
  t.ok(err instanceof GraphError);
  t.match(err, { status: 503, code: 'serviceNotAvailable', message: 'try later' });
  t.same(waits, [1000, 2000, 4000], 'three waits for four attempts');
});

t.test("Graph's refusal is a GraphError; a link off the tenant's Graph host is not followed", async (t) => {
  t.match(await client.get(tenant, '/v1.0/forbidden').catch((e: unknown) => e), { status: 403, code: 'Authorization_RequestDenied' });
  t.match(await client.get(tenant, 'https://evil.example/v1.0/x').catch((e: unknown) => e), { code: 'foreign_link' });
});

t.test('FENESTRA_TEST_OUTBOUND is accepted only with FENESTRA_ENV=test, and must be host=address:port', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-outbound-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, fakes.caPem);
  const env = { FENESTRA_DATA_DIR: dir, FENESTRA_TEST_OUTBOUND: 'graph.microsoft.us=127.0.0.1:4432', FENESTRA_TEST_OUTBOUND_CA: caFile };
  const problems = (e: Record<string, string>) => {
    try {
      loadConfig(e);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };
  t.match(problems(env), [/accepted only with FENESTRA_ENV=test/]);
  const cfg = loadConfig({ ...env, FENESTRA_ENV: 'test' });
  t.same([...(cfg.testOutbound?.hosts ?? [])], [['graph.microsoft.us', { host: '127.0.0.1', port: 4432 }]]);
  t.equal(cfg.testOutbound?.ca, fakes.caPem);
  t.match(problems({ ...env, FENESTRA_ENV: 'test', FENESTRA_TEST_OUTBOUND: 'graph.microsoft.us' }), [
    /FENESTRA_TEST_OUTBOUND: "graph.microsoft.us" is not host=address:port/,
  ]);
});
