// The compliance outbox of a running server against the fake Entra ID and Graph (issue #14):
// the device object found by its Entra device ID and PATCHed with isCompliant and isManaged on
// the tenant's cloud; two flips send only the newest; 429 (Retry-After) and 500 (back-off) are
// tried again; a refusal (403 not an approved MDM app, 404 no such device) is final and shown
// on the tenant through the API until a report goes through again. Rows are written through
// the store as the compliance evaluation writes them, and the in-process notify wakes the worker.
import crypto from 'node:crypto';
import t from 'tap';
import { notifyComplianceOutbox } from '../../src/service/compliance/outbox.js';
import type { ComplianceReport } from '../../src/store/types.js';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';
import { startTestServer } from '../helpers/server.js';

const guid = () => crypto.randomUUID();
const fakes = await startMicrosoftFakes();
const { entra, graph } = fakes;
const s = await startTestServer(fakes.env, {
  start: { complianceOutbox: { pollMs: 200, backoffBaseMs: 50, backoffCapMs: 400 } },
});
t.teardown(async () => {
  await s.close();
  await fakes.close();
});
const outbox = s.server.store.complianceOutbox;

async function tenant(cloud: 'standard' | 'gcc-high' = 'standard') {
  const { tenantId, connect: r } = await connectAppTenant(s, entra, ['Device.ReadWrite.All'], { cloud });
  t.equal(r.status, 201, JSON.stringify(r.json));
  return tenantId;
}

/** A device of the tenant, known to Entra unless told otherwise: its pk, Entra device ID and object id. */
function device(tenantId: string, inEntra = true) {
  const entraDeviceId = guid();
  return { devicePk: guid(), tenantId, entraDeviceId, objectId: inEntra ? graph.addDevice(tenantId, entraDeviceId) : undefined };
}

async function enqueue(d: { devicePk: string; tenantId: string; entraDeviceId: string }, isCompliant: boolean) {
  const id = await outbox.enqueue({ ...d, isCompliant, isManaged: true }, new Date().toISOString());
  notifyComplianceOutbox();
  return id;
}

/** The device's newest report once it is no longer pending (or its `id` settled). */
async function settled(devicePk: string, id?: number): Promise<ComplianceReport> {
  for (let i = 0; ; i++) {
    const r = await outbox.latestFor(devicePk);
    if (r && r.state !== 'pending' && (id === undefined || r.id === id)) return r;
    if (i > 600) throw new Error(`report of ${devicePk} still ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

const patchesOf = (objectId: string | undefined) => graph.devicePatches.filter((p) => p.objectId === objectId);

t.test('a report: the device found by its Entra device ID, then PATCHed; the tenant shows reports going through', async (t) => {
  const tenantId = await tenant();
  const d = device(tenantId);
  const id = await enqueue(d, true);
  const r = await settled(d.devicePk, id);
  t.match(r, { state: 'sent', attempts: 1, isCompliant: true });
  t.same(
    patchesOf(d.objectId).map((p) => p.body),
    [{ isCompliant: true, isManaged: true }],
  );
  const got = await s.admin('GET', `/api/v1/tenants/${tenantId}`);
  t.match(got.json.complianceReporting, { state: 'ok', at: r.sentAt });
});

t.test('two flips before the worker runs: only the newest is sent, the older superseded', async (t) => {
  const tenantId = await tenant();
  const d = device(tenantId);
  // Written together (no notify in between), as two evaluations in a row would.
  const first = await outbox.enqueue({ ...d, isCompliant: true, isManaged: true }, new Date().toISOString());
  const second = await outbox.enqueue({ ...d, isCompliant: false, isManaged: true }, new Date().toISOString());
  notifyComplianceOutbox();
  const r = await settled(d.devicePk, second);
  t.equal(r.state, 'sent');
  t.ok(first < second);
  t.same(
    patchesOf(d.objectId).map((p) => p.body.isCompliant),
    [false],
    'the older value never reached Graph',
  );
});

t.test('flips in sequence: each sent, in order, never an older after a newer', async (t) => {
  const tenantId = await tenant();
  const d = device(tenantId);
  const values = [true, false, true, false, false, true];
  let last = 0;
  for (const v of values) last = await enqueue(d, v);
  await settled(d.devicePk, last);
  const sent = patchesOf(d.objectId).map((p) => p.body.isCompliant);
  t.equal(sent.at(-1), true, 'the last value is what Entra holds');
  // Whatever was superseded, what went out is a subsequence of the flips, in their order.
  let i = 0;
  for (const v of sent) {
    while (i < values.length && values[i] !== v) i++;
    t.ok(i < values.length, `sent ${JSON.stringify(sent)} is in the order of ${JSON.stringify(values)}`);
    i++;
  }
});

t.test('429 with Retry-After, then 500 without: tried again with back-off, sent once', async (t) => {
  const tenantId = await tenant();
  const d = device(tenantId);
  graph.throttle(2, 0);
  const a = await enqueue(d, false);
  t.match(await settled(d.devicePk, a), { state: 'sent', attempts: 3 }, 'two 429s, then through');
  graph.throttle(2, 0, 500);
  const b = await enqueue(d, true);
  t.match(await settled(d.devicePk, b), { state: 'sent', attempts: 3 }, 'two 500s, then through');
  t.same(
    patchesOf(d.objectId).map((p) => p.body.isCompliant),
    [false, true],
  );
});

t.test('refused by Graph (not an approved MDM app): final, said plainly on the tenant, cleared by the next report that goes through', async (t) => {
  const tenantId = await tenant();
  const d = device(tenantId);
  graph.deviceWrites('forbidden');
  t.teardown(() => graph.deviceWrites('ok'));
  const a = await enqueue(d, true);
  const r = await settled(d.devicePk, a);
  t.match(r, { state: 'refused', attempts: 1, lastError: /403 Authorization_RequestDenied.*approved MDM application/ });
  const refused = (await s.admin('GET', `/api/v1/tenants/${tenantId}`)).json.complianceReporting;
  t.match(refused, { state: 'refused', error: /Authorization_RequestDenied/ });
  t.same(patchesOf(d.objectId), [], 'nothing was set');
  const list = (await s.admin('GET', '/api/v1/tenants')).json.find((x: { tenantId: string }) => x.tenantId === tenantId);
  t.match(list.complianceReporting, { state: 'refused' }, 'in the list too');

  graph.deviceWrites('ok');
  const b = await enqueue(d, false);
  t.match(await settled(d.devicePk, b), { state: 'sent' });
  t.match((await s.admin('GET', `/api/v1/tenants/${tenantId}`)).json.complianceReporting, { state: 'ok' });
});

t.test('a device Entra does not know: refused with that reason, no PATCH', async (t) => {
  const tenantId = await tenant();
  const d = device(tenantId, false);
  const before = graph.devicePatches.length;
  const a = await enqueue(d, true);
  t.match(await settled(d.devicePk, a), { state: 'refused', lastError: new RegExp(`no device with device ID ${d.entraDeviceId}`) });
  t.equal(graph.devicePatches.length, before);
  t.match((await s.admin('GET', `/api/v1/tenants/${tenantId}`)).json.complianceReporting, { state: 'refused', error: /no device/ });
});

t.test('a GCC High tenant is reported on graph.microsoft.us only', async (t) => {
  const tenantId = await tenant('gcc-high');
  const d = device(tenantId);
  graph.requests.length = 0;
  const a = await enqueue(d, true);
  t.match(await settled(d.devicePk, a), { state: 'sent' });
  t.same(
    patchesOf(d.objectId).map((p) => p.cloud),
    ['gcc-high'],
  );
  t.same([...new Set(graph.requests.map((r) => r.host))], ['graph.microsoft.us']);
});

t.test('a tenant without application credentials, or disconnected: refused or failed, said why', async (t) => {
  const tenantId = guid();
  t.equal((await s.admin('POST', '/api/v1/tenants', { tenantId, cloud: 'standard', audiences: ['https://mdm.fenestra.test'] })).status, 201);
  const d = device(tenantId);
  const a = await enqueue(d, true);
  t.match(await settled(d.devicePk, a), { state: 'refused', lastError: /no application is set on this tenant/ });
  const gone = { ...device(guid()) };
  const b = await enqueue(gone, true);
  t.match(await settled(gone.devicePk, b), { state: 'failed', lastError: /is not connected/ });
});
