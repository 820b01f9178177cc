// bench/entra-groups: syncing Entra group membership from Microsoft Graph, and what a membership
// change costs the fleet's reconciliation (issue #14).
//
//   npm run bench:entra-groups [-- --users 100000 --groups 500 --changes 1000 --devices 20000]
//
// A fake Entra ID and Graph over HTTPS (the test fakes, in this process) hold `--users` users
// spread over `--groups` groups (each user in one group); the server's own Graph client, token
// provider and EntraGroupService sync them into a SQLite store.
// (1) First sync: every group read in full (paged groups/delta rounds). Wall and CPU time (the CPU
//     figure includes the fake Graph serving the pages, which runs in the same process).
// (2) Delta sync after `--changes` membership changes in Graph (half joins, half departures).
//     Baseline in the same run: the first sync.
// (3) Reconciliation: `--devices` Entra-joined devices, each with one user signed in, and a Wi-Fi
//     profile assigned to every group. Every device is planned once (marks kept), then again
//     after the delta sync: the devices re-planned are counted against the devices whose users
//     changed (they must be equal) and against the fleet (what bumping the global profile
//     generation would have re-planned: the baseline).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../src/pki/ca.js';
import { sealAppCredential } from '../src/service/entra/credentials.js';
import { GraphClient } from '../src/service/entra/graph-client.js';
import { EntraGroupService } from '../src/service/entra/groups.js';
import { Outbound, parseOutboundMap } from '../src/service/entra/outbound.js';
import { EntraAppTokens } from '../src/service/entra/token-provider.js';
import { ProfileService } from '../src/service/profiles.js';
import { Reconciler } from '../src/service/reconcile/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Device } from '../src/domain/device.js';
import { startFakeEntraApp } from '../test/helpers/fake-entra-app.js';
import { startFakeGraph } from '../test/helpers/fake-graph.js';
import { serveGroups } from '../test/helpers/fake-graph-groups.js';
import { fmt } from './stats.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const USERS = arg('users', 100_000);
const GROUPS = arg('groups', 500);
const CHANGES = arg('changes', 1000);
const DEVICES = arg('devices', 20_000);

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  return { value, wallMs: performance.now() - t0, cpuMs: cpuMs(process.cpuUsage(c0)) };
}

async function main() {
  const ca = generateCa({ commonName: 'Fake Microsoft CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), {
    hostnames: ['login.microsoftonline.com', 'graph.microsoft.com'],
  });
  const entra = await startFakeEntraApp(tls);
  const graph = await startFakeGraph(tls, entra);
  const directory = serveGroups(graph, { pageSize: 100, transitivePageSize: 999 });
  const hosts = parseOutboundMap(`login.microsoftonline.com=127.0.0.1:${entra.port},graph.microsoft.com=127.0.0.1:${graph.port}`);
  if (typeof hosts === 'string') throw new Error(hosts);
  const outbound = new Outbound({ hosts, ca: ca.certPem });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-bench-groups-'));
  const store = openSqliteStore(path.join(dir, 'bench.db'));
  const key = crypto.randomBytes(32);
  const tenantId = crypto.randomUUID();
  const clientId = crypto.randomUUID();
  entra.addTenant({ tenantId, cloud: 'standard' });
  entra.addApplication({ clientId, displayName: 'Fenestra', secret: 'bench-secret' });
  entra.consent(tenantId, clientId, ['GroupMember.Read.All']);
  const now = new Date().toISOString();
  await store.tenants.create(
    {
      tenantId,
      cloud: 'standard',
      audiences: ['https://mdm.bench'],
      appClientId: clientId,
      appCredential: sealAppCredential({ kind: 'secret', secret: 'bench-secret' }, key, '/credential'),
      createdAt: now,
      updatedAt: now,
    },
    { at: now, actor: 'bench', action: 'tenant.connect', targetType: 'tenant', targetId: tenantId },
  );

  // The directory: user i in group i % GROUPS.
  const groups = Array.from({ length: GROUPS }, () => crypto.randomUUID());
  groups.forEach((g, i) => directory.addGroup(g, `Group ${i}`));
  const users = Array.from({ length: USERS }, () => crypto.randomUUID());
  const groupOf = new Map<string, number>();
  users.forEach((u, i) => {
    directory.addMember(groups[i % GROUPS], { type: 'user', id: u });
    groupOf.set(u, i % GROUPS);
  });

  // One Wi-Fi profile assigned to every group (each assignment watches its group).
  const profiles = new ProfileService(store, key);
  const wifi = await profiles.create(
    { name: 'Office Wi-Fi', kind: 'wifi', scope: 'user', settings: { ssid: 'Office', security: 'WPA2PSK', passphrase: 'correct horse battery' } },
    'bench',
  );
  for (const g of groups) await profiles.assign(wifi.id, { targetType: 'entraGroup', targetId: g, tenantId }, 'bench');

  const graphClient = new GraphClient({ outbound, tokens: new EntraAppTokens({ outbound, sealKey: key }) });
  const service = new EntraGroupService({ store, graph: graphClient });

  // (1) First sync.
  const requests0 = graph.requests.length;
  const first = await timed(() => service.syncAll());
  const firstErrors = first.value.filter((r) => r.error);
  if (firstErrors.length) throw new Error(`first sync: ${firstErrors[0].error}`);
  const members = first.value.reduce((n, r) => n + r.added, 0);
  const firstRequests = graph.requests.length - requests0;

  // (3, before) The fleet, planned once: marks kept as the session engine keeps them.
  const reconciler = new Reconciler(store, key);
  const fleet = Array.from({ length: DEVICES }, (_, i) => {
    const oid = users[(i * 7919) % USERS];
    const d: Pick<Device, 'id' | 'deviceId' | 'entraDeviceId' | 'userOid' | 'upn' | 'enrollmentType' | 'planMark'> = {
      id: `dev-${i}`,
      deviceId: `DEV${i}`,
      entraDeviceId: crypto.randomUUID(),
      userOid: oid,
      upn: undefined,
      enrollmentType: 'Device',
      planMark: undefined,
    };
    return { d, user: { key: oid.toLowerCase(), oid } };
  });
  const at = new Date().toISOString();
  const planAll = async () => {
    let planned = 0;
    let withWifi = 0;
    for (const f of fleet) {
      const sp = await reconciler.plan(f.d, f.user, { userPresent: true, at });
      if (!sp) continue;
      planned++;
      if (sp.plan.commands.length) withWifi++;
      f.d.planMark = sp.mark;
    }
    return { planned, withWifi };
  };
  const initial = await timed(planAll);

  // (2) CHANGES changes in Graph: half the users move in (a second group), half leave theirs.
  const changed = new Set<string>();
  for (let i = 0; i < CHANGES; i++) {
    const u = users[(i * 104_729) % USERS];
    if (changed.has(u)) continue;
    changed.add(u);
    const g = groupOf.get(u)!;
    if (i % 2 === 0) directory.addMember(groups[(g + 1) % GROUPS], { type: 'user', id: u });
    else directory.removeMember(groups[g], u);
  }
  const requests1 = graph.requests.length;
  const delta = await timed(() => service.syncAll());
  const deltaErrors = delta.value.filter((r) => r.error);
  if (deltaErrors.length) throw new Error(`delta sync: ${deltaErrors[0].error}`);
  const deltaChanges = delta.value.reduce((n, r) => n + r.added + r.removed, 0);
  const deltaRequests = graph.requests.length - requests1;

  // (3, after) Who is re-planned.
  const affected = fleet.filter((f) => changed.has(f.user.oid)).length;
  const after = await timed(planAll);
  const steady = await timed(planAll);

  const line = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);
  console.log(`Entra groups: ${USERS} users in ${GROUPS} groups, ${DEVICES} devices, node ${process.version}`);
  line('(1) first sync: memberships stored', `${members}`);
  line('    Graph requests', `${firstRequests}`);
  line('    wall / CPU (fake Graph included)', `${fmt(first.wallMs / 1000, 2)} s / ${fmt(first.cpuMs / 1000, 2)} s`);
  line(`(2) delta sync of ${changed.size} changes: changes applied`, `${deltaChanges}`);
  line('    Graph requests', `${deltaRequests}`);
  line('    wall / CPU', `${fmt(delta.wallMs, 0)} ms / ${fmt(delta.cpuMs, 0)} ms`);
  line('    vs first sync (baseline)', `${fmt((delta.wallMs / first.wallMs) * 100, 1)} % of its wall time`);
  line(
    '(3) fleet planned first (all devices)',
    `${initial.value.planned} planned, ${initial.value.withWifi} get the Wi-Fi, ${fmt(initial.wallMs / 1000, 2)} s`,
  );
  line('    after the delta: devices whose users changed', `${affected}`);
  line('    after the delta: devices re-planned', `${after.value.planned} (${fmt(after.wallMs, 0)} ms for the fleet's check)`);
  line('    baseline: a generation bump re-plans', `${DEVICES}`);
  line('    nothing changed: devices re-planned', `${steady.value.planned} (${fmt(steady.wallMs, 0)} ms for the fleet's check)`);
  const ok = after.value.planned === affected && steady.value.planned === 0 && deltaChanges === changed.size;
  console.log(ok ? 'OK: only the devices of changed users were re-planned' : 'MISMATCH: see the figures above');

  outbound.close();
  await graph.close();
  await entra.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (!ok) process.exitCode = 1;
}

await main();
