// The compliance outbox survives kill -9 (issue #14): a server (its own OS process) holds
// reports it could not send yet — Graph throttles it, so each has been tried once and waits for
// its Retry-After — and is killed with SIGKILL. Started again on the same data, it sends each
// device's newest report exactly once (the fake Graph counts the PATCHes), the older flip of a
// device never, and the rows keep what the killed process recorded (their first try).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../src/store/open.js';
import type { ComplianceReport, Store } from '../../src/store/types.js';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';

// Two starts of a server process: on a busy machine each can take tens of seconds.
t.setTimeout(300_000);

const guid = () => crypto.randomUUID();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-outbox-kill-'));
const fakes = await startMicrosoftFakes();
const { entra, graph } = fakes;
const env = { FENESTRA_ENV: 'test', ...fakes.env };
const children: ChildServer[] = [];
let store: Store | undefined;
t.teardown(async () => {
  for (const c of children) {
    c.child.kill('SIGKILL');
    await c.exited;
  }
  await store?.close();
  await fakes.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Waits (polling the store) until `ok` holds for the newest report of every device. */
async function until(devices: string[], ok: (r: ComplianceReport | undefined) => boolean, what: string) {
  for (let i = 0; ; i++) {
    const rows = await Promise.all(devices.map((d) => store!.complianceOutbox.latestFor(d)));
    if (rows.every(ok)) return rows as ComplianceReport[];
    if (i > 1200) throw new Error(`${what}: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('reports waiting for a retry when the server is killed are sent once by the next start', async (t) => {
  const first = await startChildServer({ dir: path.join(dir, 'server'), env });
  children.push(first);
  const { tenantId, connect: created } = await connectAppTenant(first, entra, ['Device.ReadWrite.All']);
  t.equal(created.status, 201, JSON.stringify(created.json));

  // Graph throttles everything: each report gets one try, then waits 8 s (Retry-After).
  graph.throttle(1_000_000, 8);
  store = await openStore({ kind: 'sqlite', file: path.join(dir, 'server', 'data', 'fenestra.db') });
  const devices = Array.from({ length: 4 }, () => ({ devicePk: guid(), tenantId, entraDeviceId: guid() }));
  const objectIds = new Map(devices.map((d) => [d.devicePk, graph.addDevice(tenantId, d.entraDeviceId)]));
  const now = () => new Date().toISOString();
  for (const d of devices) await store.complianceOutbox.enqueue({ ...d, isCompliant: true, isManaged: true }, now());
  // The last device flipped twice: only its newer value may ever reach Graph.
  const flipped = devices[3]!;
  await store.complianceOutbox.enqueue({ ...flipped, isCompliant: false, isManaged: true }, now());
  const pks = devices.map((d) => d.devicePk);

  // The server's worker finds them (its poll: written by another process), tries each once and
  // records the retry (lease released, due after Retry-After): nothing is under way now.
  // (Checked while none falls due in the next 2 s, so none is under way when the kill lands.)
  const tried = await until(
    pks,
    (r) => r?.state === 'pending' && r.attempts >= 1 && /429/.test(r.lastError ?? '') && Date.parse(r.nextAt) > Date.now() + 2000,
    'every report tried',
  );
  t.equal(graph.devicePatches.length, 0, 'nothing reached Graph');
  first.child.kill('SIGKILL');
  t.equal((await first.exited).signal, 'SIGKILL');

  graph.throttle(0);
  const second = await startChildServer({ dir: path.join(dir, 'server'), env });
  children.push(second);
  const sent = await until(pks, (r) => r?.state === 'sent', 'every report sent after the restart');
  t.same(
    sent.map((r) => r.id),
    tried.map((r) => r.id),
    'the rows the killed server had tried',
  );
  t.same(
    sent.map((r) => r.attempts),
    tried.map((r) => r.attempts + 1),
    'their tries before the kill are counted: one more, and through',
  );
  for (const d of devices) {
    const patches = graph.devicePatches.filter((p) => p.objectId === objectIds.get(d.devicePk));
    t.same(
      patches.map((p) => p.body),
      [{ isCompliant: d === flipped ? false : true, isManaged: true }],
      `device ${d === flipped ? 'flipped twice' : d.devicePk}: one PATCH, the newest value`,
    );
  }
  t.equal(graph.devicePatches.length, devices.length, 'exactly one PATCH per device');
  const tenant = await second.admin('GET', `/api/v1/tenants/${tenantId}`);
  t.match(tenant.json.complianceReporting, { state: 'ok' });
});
