// Installed apps read back (issue #15): the pure readers of the device's answers (hostile ones
// included), then the session engine asking a scripted device over real mutual TLS — with the
// inventory, one Sequence per tree (MSI product list, AppInventoryQuery, AppInventoryResults),
// the MSI products' details in the same session — and the admin API's list.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  APP_INVENTORY_LIMITS,
  APP_INVENTORY_QUERY,
  appInventoryPayload,
  msiDetailPayloads,
  parseAppInventoryResults,
  parseMsiDetails,
  parseMsiProductList,
} from '../../src/protocol/csp/app-inventory.js';
import { parseXml } from '../../src/protocol/xml.js';
import type { ItemCommand, ResultsCommand, StatusCommand, SyncCommand, SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { DmSession } from '../helpers/dm-session.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

const P1 = '{0B3C5F2E-1A2B-4C3D-8E9F-001122334455}';
const P2 = '{A1B2C3D4-E5F6-4789-ABCD-EF0123456789}';
const DESKTOP = './Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI';
const MODERN = './Device/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement';
const PKG_A = 'Contoso.Notes_2.1.0.0_x64__8wekyb3d8bbwe';
const PKG_B = 'Fabrikam.Suite_1.0.0.0_neutral_~_abcdefghjkmnp';

const results = (pkgs: string) => `<AppInventoryResults>${pkgs}</AppInventoryResults>`;
const pkg = (full: string, name: string, version: string, publisher: string) =>
  `<Package PackageFullName="${full}" PackageFamilyName="${full.split('_')[0]}_x" Name="${name}" Version="${version}" Publisher="${publisher}"/>`;

t.test('readers of the answers (pure)', async (t) => {
  t.test('the query and the reads of a tree', async (t) => {
    const q = parseXml(APP_INVENTORY_QUERY);
    t.same(q.Inventory?.[0], { '#ns': '', '@Output': 'PackageDetails', '@Source': 'AppStore|nonStore', '@PackageTypeFilter': 'Main|Bundle' });
    const seq = appInventoryPayload('user');
    t.equal(seq.kind, 'Sequence');
    t.same(
      seq.commands!.map((c) => [c.kind, c.items![0].target]),
      [
        ['Get', './User/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI'],
        ['Replace', './User/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/AppInventoryQuery'],
        ['Get', './User/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/AppInventoryResults'],
      ],
    );
    const codes = Array.from({ length: 85 }, () => `{${crypto.randomUUID().toUpperCase()}}`);
    const gets = msiDetailPayloads('device', codes);
    t.same(
      gets.map((g) => g.items!.length),
      [120, 120, 15],
      'three leaves per product, 40 products a Get',
    );
    t.equal(gets[0].items![0].target, `${DESKTOP}/%7B${codes[0].slice(1, -1)}%7D/Name`, 'the ProductCode URL-encoded in the LocURI');
  });

  t.test('MSI product list', async (t) => {
    const r = parseMsiProductList(`%7B${P1.slice(1, -1)}%7D/${P2.toLowerCase()}/%7B${P1.slice(1, -1)}%7D/UpgradeCode/%E0%A4%A/{not-a-guid}/`);
    t.same(r.value, [P1, P2], 'encoded or not, upper case, once each; the UpgradeCode node is not a product');
    t.same(r.ignored, ['not a ProductCode: "%E0%A4%A"', 'not a ProductCode: "{not-a-guid}"'], 'a broken %-escape and a non-GUID are left out with a reason');
    t.same(parseMsiProductList(undefined), { value: [], ignored: [] }, 'no products: an empty list');
    t.same(parseMsiProductList(''), { value: [], ignored: [] });
    const many = Array.from({ length: APP_INVENTORY_LIMITS.apps + 5 }, () => `{${crypto.randomUUID()}}`).join('/');
    const capped = parseMsiProductList(many);
    t.equal(capped.value.length, APP_INVENTORY_LIMITS.apps, 'a list beyond the limit is capped');
    t.match(capped.ignored.at(-1), /the rest left out/);
  });

  t.test('MSI details', async (t) => {
    const r = parseMsiDetails([
      { locUri: `${DESKTOP}/%7B${P1.slice(1, -1)}%7D/Name`, data: 'Contoso Tool' },
      { locUri: `${DESKTOP}/${P1}/Version`, data: '1.2.3' },
      { locUri: `${DESKTOP}/%7B${P1.slice(1, -1)}%7D/Publisher`, data: 'Contoso\u0007 Ltd' },
      { locUri: `${DESKTOP}/${P2}/Name`, data: 'x'.repeat(5000) },
      { locUri: `${DESKTOP}/${P2}/InstallPath`, data: 'C:\\evil' },
      { locUri: './Device/Vendor/MSFT/Other/Name', data: 'nope' },
    ]);
    t.same(r.value, [
      { key: P1, name: 'Contoso Tool', version: '1.2.3', publisher: 'Contoso  Ltd' },
      { key: P2, name: 'x'.repeat(APP_INVENTORY_LIMITS.fieldChars) },
    ]);
    t.equal(r.ignored.length, 2, 'nodes that are not Name, Version or Publisher of a product are left out');
  });

  t.test('AppInventoryResults', async (t) => {
    const ok = parseAppInventoryResults(
      results(
        pkg(PKG_A, 'Contoso Notes', '2.1.0.0', 'CN=Contoso') +
          `<Package><PackageFullName>${PKG_B}</PackageFullName><Publisher>CN=Fabrikam</Publisher></Package>` +
          pkg(PKG_A, 'dup', '9', 'dup') +
          `<System>${pkg('Microsoft.Windows.Shell_10.0.0.0_neutral__cw5n1h2txyewy', 'Shell', '10', 'CN=Microsoft')}</System>` +
          `<Package PackageFullName="../../etc/passwd"/>`,
      ),
    );
    t.same(ok.value, [
      { key: PKG_A, name: 'Contoso Notes', version: '2.1.0.0', publisher: 'CN=Contoso' },
      { key: PKG_B, name: 'Fabrikam.Suite', version: '1.0.0.0', publisher: 'CN=Fabrikam' },
    ]);
    t.same(ok.ignored, ['not a package full name: "../../etc/passwd"'], 'a malformed full name is left out; the System group silently');
    for (const [label, bad] of [
      ['truncated', results(pkg(PKG_A, 'a', '1', 'p')).slice(0, 60)],
      ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${results('&e;')}`],
      ['too deep', '<a>'.repeat(40) + '</a>'.repeat(40)],
      ['not XML', 'PackageFullName=x'],
    ] as const) {
      const r = parseAppInventoryResults(bad);
      t.same(r.value, [], `${label}: no packages`);
      t.match(r.ignored[0], /^AppInventoryResults is not readable XML/, `${label}: said why`);
    }
    t.same(parseAppInventoryResults(''), { value: [], ignored: [] }, 'empty: no packages, nothing wrong');
  });
});

// ---- the engine with a scripted device -------------------------------------------------------

/** What the scripted device answers for a LocURI it is asked to Get, and for the Replace of the query. */
interface Tree {
  get(uri: string): { status: string; data?: string };
  replace?(uri: string): string;
}

/** Answers every command of `reply` like Windows: a Status per command and member, Results for Gets. */
function answer(reply: SyncMLMessage, tree: Tree): SyncCommand[] {
  const out: SyncCommand[] = [{ kind: 'Status', cmdId: '1', msgRef: reply.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] }];
  const id = () => String(out.length + 1);
  const walk = (cmds: SyncCommand[]) => {
    for (const c of cmds) {
      if (c.kind === 'Status' || c.kind === 'Results' || c.kind === 'Alert') continue;
      if (c.kind === 'Atomic' || c.kind === 'Sequence') {
        walk(c.commands);
        out.push({ kind: 'Status', cmdId: id(), msgRef: reply.hdr.msgId, cmdRef: c.cmdId, cmd: c.kind, data: '200', items: [] } as StatusCommand);
        continue;
      }
      const ic = c as ItemCommand;
      if (ic.kind === 'Get') {
        const got = ic.items.map((i) => ({ uri: i.target!, ...tree.get(i.target!) }));
        const bad = got.find((g) => !g.status.startsWith('2'));
        out.push({ kind: 'Status', cmdId: id(), msgRef: reply.hdr.msgId, cmdRef: c.cmdId, cmd: 'Get', data: bad?.status ?? '200', items: [] } as StatusCommand);
        const items = got.filter((g) => g.status.startsWith('2')).map((g) => ({ source: g.uri, data: g.data }));
        if (items.length) out.push({ kind: 'Results', cmdId: id(), msgRef: reply.hdr.msgId, cmdRef: c.cmdId, items } as ResultsCommand);
      } else {
        const code = (ic.kind === 'Replace' && tree.replace?.(ic.items[0].target!)) || '200';
        out.push({ kind: 'Status', cmdId: id(), msgRef: reply.hdr.msgId, cmdRef: c.cmdId, cmd: c.kind, data: code, items: [] } as StatusCommand);
      }
    }
  };
  walk(reply.body);
  return out;
}

const sequences = (m: SyncMLMessage) => m.body.filter((c) => c.kind === 'Sequence') as any[];
const gets = (m: SyncMLMessage) => m.body.filter((c) => c.kind === 'Get') as ItemCommand[];

/** A Windows device with two MSI products and two packaged apps (and a hostile entry of each). */
function windows(prefix: string, o: { msiNames?: Record<string, string> } = {}): Tree & { queries: string[] } {
  const names = o.msiNames ?? { [P1]: 'Contoso Tool', [P2]: 'Fabrikam Agent' };
  const queries: string[] = [];
  return {
    queries,
    get(uri) {
      if (uri === `${prefix}/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI`) return { status: '200', data: `%7B${P1.slice(1, -1)}%7D/${P2}/garbage` };
      if (uri === `${prefix}/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/AppInventoryResults`) {
        return {
          status: '200',
          data: results(
            pkg(PKG_A, 'Contoso Notes', '2.1.0.0', 'CN=Contoso') +
              pkg(PKG_B, 'Fabrikam Suite', '1.0.0.0', 'CN=Fabrikam') +
              '<Package PackageFullName="bad name"/>',
          ),
        };
      }
      const m = /\/MSI\/([^/]+)\/(Name|Version|Publisher)$/.exec(uri);
      const code = m && decodeURIComponent(m[1]);
      if (code && names[code]) return { status: '200', data: m![2] === 'Name' ? names[code] : m![2] === 'Version' ? '3.0.1' : 'Contoso Ltd' };
      if (uri.startsWith('./DevDetail/') || uri.startsWith('./Vendor/')) return { status: '200', data: 'x' };
      return { status: '404' };
    },
    replace(uri) {
      queries.push(uri);
      return '200';
    },
  };
}

t.test('the engine reads what is installed and the admin API lists it', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const d = await enrollEntraDevice(s, tid);
  const id = d.dev.deviceId;
  let sid = 100;
  const appsOf = async () => {
    const r = await s.admin('GET', `/api/v1/devices/${id}/apps`);
    t.equal(r.status, 200);
    return r.json;
  };

  t.test('with the first inventory: the device tree, then the MSI details in the same session', async (t) => {
    const dev = windows('./Device');
    const x = new DmSession(s, d, String(sid++));
    const r1 = await x.start();
    t.ok(
      gets(r1).some((g) => g.items.some((i) => i.target === './DevDetail/SwV')),
      'the inventory Get',
    );
    const seq = sequences(r1);
    t.equal(seq.length, 1, 'one Sequence: the device tree (no user signed in)');
    t.same(
      seq[0].commands.map((c: ItemCommand) => c.items[0].target),
      [DESKTOP, `${MODERN}/AppInventoryQuery`, `${MODERN}/AppInventoryResults`],
    );
    t.equal(seq[0].commands[1].items[0].data, APP_INVENTORY_QUERY, 'the query document');
    const r2 = await x.send(answer(r1, dev));
    const detail = gets(r2);
    t.equal(detail.length, 1, 'the details of the two products follow at once');
    t.same(
      detail[0].items.map((i) => i.target),
      [P1, P2].flatMap((p) => ['Name', 'Version', 'Publisher'].map((l) => `${DESKTOP}/%7B${p.slice(1, -1)}%7D/${l}`)),
    );
    const between = await appsOf();
    t.same(
      between.apps.filter((a: any) => a.source === 'msi').map((a: any) => [a.key, a.name]),
      [
        [P1, null],
        [P2, null],
      ],
      'the products are listed before their details arrive',
    );
    const r3 = await x.send(answer(r2, dev));
    t.same(
      r3.body.filter((c) => c.kind !== 'Status').map((c) => c.kind),
      [],
      "then the session ends (Statuses only: the SyncHdr's and the Results', rule 75)",
    );
    const list = await appsOf();
    t.same(
      list.apps.map((a: any) => [a.user, a.source, a.key, a.name, a.version, a.publisher]),
      [
        [null, 'msi', P1, 'Contoso Tool', '3.0.1', 'Contoso Ltd'],
        [null, 'msi', P2, 'Fabrikam Agent', '3.0.1', 'Contoso Ltd'],
        [null, 'msix', PKG_A, 'Contoso Notes', '2.1.0.0', 'CN=Contoso'],
        [null, 'msix', PKG_B, 'Fabrikam Suite', '1.0.0.0', 'CN=Fabrikam'],
      ],
      'hostile entries left out, the rest stored',
    );
    t.same(
      list.reads.map((r: any) => [r.user, r.source, r.error]),
      [
        [null, 'msi', null],
        [null, 'msix', null],
      ],
    );
    t.ok(list.apps.every((a: any) => a.seenAt === list.reads[0].readAt));

    const y = new DmSession(s, d, String(sid++));
    const again = await y.start();
    t.same(
      again.body.map((c) => c.kind),
      ['Status', 'Status'],
      'the next check-in the same day reads nothing',
    );
  });

  t.test('hostile and failed answers: the previous list is kept, the read says why, the session goes on', async (t) => {
    t.equal((await s.admin('POST', `/api/v1/devices/${id}/commands`, { action: 'sync' })).status, 201);
    const x = new DmSession(s, d, String(sid++));
    const r1 = await x.start();
    t.equal(sequences(r1).length, 1, "the admin's sync reads the apps again");
    const before = (await appsOf()).apps;
    const hostile: Tree = {
      get(uri) {
        if (uri.endsWith('/EnterpriseDesktopAppManagement/MSI')) return { status: '404' };
        if (uri.endsWith('/AppInventoryResults'))
          return { status: '200', data: '<AppInventoryResults><Package PackageFullName="Contoso.Notes_2.1.0.0_x64__8wekyb3d8bbwe"' };
        return { status: '200', data: 'x' };
      },
    };
    const r2 = await x.send(answer(r1, hostile));
    t.same(
      r2.body.filter((c) => c.kind !== 'Status').map((c) => c.kind),
      [],
      'no details to ask for; the session ends normally (Statuses only)',
    );
    const list = await appsOf();
    t.same(list.apps, before, 'nothing read: the list read before stays');
    t.same(
      list.reads.map((r: any) => r.source),
      ['msi', 'msix'],
    );
    t.equal(list.reads[0].error, 'the device answered 404');
    t.match(list.reads[1].error, /^AppInventoryResults is not readable XML: malformed XML/);

    // An empty product list and a refused query: MSI emptied, MSIX kept with the refusal named.
    await s.admin('POST', `/api/v1/devices/${id}/commands`, { action: 'sync' });
    const y = new DmSession(s, d, String(sid++));
    const r3 = await y.start();
    await y.send(
      answer(r3, {
        get: (uri) => (uri.endsWith('/MSI') ? { status: '200', data: '' } : { status: '200', data: 'x' }),
        replace: () => '405',
      }),
    );
    const after = await appsOf();
    t.same(
      after.apps.map((a: any) => a.source),
      ['msix', 'msix'],
      'no MSI product any more',
    );
    t.same(
      after.reads.map((r: any) => [r.source, r.error]),
      [
        ['msi', null],
        ['msix', 'the device answered 405 to the AppInventoryQuery'],
      ],
    );
  });

  t.test("a signed-in user's tree is read with the inventory, keyed by the user", async (t) => {
    const oid = crypto.randomUUID();
    const token = await s.entra.mintToken({ tid, aud: AUDIENCE, oid, upn: 'dana@contoso.com' });
    await s.admin('POST', `/api/v1/devices/${id}/commands`, { action: 'sync' });
    const x = new DmSession(s, d, String(sid++), { authorization: `Bearer ${token}` });
    const r1 = await x.start([{ kind: 'Alert', cmdId: '2', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/AADUserToken' }, data: token }] }]);
    const seq = sequences(r1);
    t.same(
      seq.map((c) => c.commands[0].items[0].target),
      [DESKTOP, './User/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI'],
      'the device tree and the user tree',
    );
    const user = windows('./User', { msiNames: { [P1]: 'Per-user Tool' } });
    const both: Tree = {
      get: (u) => (u.startsWith('./User/') ? user.get(u) : windows('./Device').get(u)),
      replace: (u) => (u.startsWith('./User/') ? user.replace!(u) : '200'),
    };
    const r2 = await x.send(answer(r1, both));
    t.same(
      gets(r2).map((g) => g.items[0].target!.split('/')[1]),
      ['Device', 'User'],
      'the details of each tree',
    );
    await x.send(answer(r2, both));
    t.same(user.queries, ['./User/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/AppInventoryQuery']);
    const list = await appsOf();
    const mine = list.apps.filter((a: any) => a.user === oid.toLowerCase());
    t.same(
      mine.map((a: any) => [a.source, a.key, a.name]),
      [
        ['msi', P2, null],
        ['msi', P1, 'Per-user Tool'],
        ['msix', PKG_A, 'Contoso Notes'],
        ['msix', PKG_B, 'Fabrikam Suite'],
      ],
      "the user's tree under the user's key (P2's details answered 404: listed without a name)",
    );
    t.equal(list.apps.filter((a: any) => a.user === null).length, 4, 'the device tree read again beside it');
    t.equal((await s.admin('GET', '/api/v1/devices/nope/apps')).status, 404, 'an unknown device is a 404');
  });
});

t.test('with the simulator: what its CSPs hold is what the API lists', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-inventory-sim-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const oid = crypto.randomUUID();
  const dev = entraSimDevice(s, tid, { upn: 'erin@contoso.com', oid }, { appDir: dir });
  await dev.enroll();
  // Installed before enrollment: an MSI product and a sideloaded package on the device, a package of the user's.
  const msi = `${DESKTOP}/${P1}`;
  dev.tree.set(msi, { format: 'node' });
  for (const [k, v] of [
    ['Name', 'Contoso Tool'],
    ['Version', '4.2.0'],
    ['Publisher', 'Contoso Ltd'],
  ]) {
    dev.tree.set(`${msi}/${k}`, { value: v, readOnly: true });
  }
  const seedPackage = (root: string, full: string, name: string) => {
    const base = `${root}/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/nonStore/${full.split('_')[0]}_8wekyb3d8bbwe/${full}`;
    dev.tree.set(base, { format: 'node' });
    for (const [k, v] of Object.entries({ Name: name, Version: full.split('_')[1], Publisher: 'CN=Contoso', IsFramework: '0', IsBundle: '0' })) {
      dev.tree.set(`${base}/${k}`, { value: v, readOnly: true });
    }
  };
  seedPackage('./Device', PKG_A, 'Contoso Notes');
  dev.tree.setUser(oid);
  seedPackage('./User', 'Contoso.Paint_1.2.0.0_x64__8wekyb3d8bbwe', 'Contoso Paint');
  dev.tree.setUser(null);

  const user = { token: await s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'erin@contoso.com', oid }) };
  await dev.checkin({ user });
  const list = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}/apps`)).json;
  const of = (u: string | null) => list.apps.filter((a: any) => a.user === u).map((a: any) => [a.source, a.key, a.name, a.version]);
  t.same(
    of(null),
    [
      ['msi', P1, 'Contoso Tool', '4.2.0'],
      ['msix', PKG_A, 'Contoso Notes', '2.1.0.0'],
      ['msix', 'Contoso.Paint_1.2.0.0_x64__8wekyb3d8bbwe', 'Contoso Paint', '1.2.0.0'],
    ],
    "the device tree: its MSI product, and the packages of the device and of its users (Learn: the device's inventory lists every user's)",
  );
  t.same(of(oid.toLowerCase()), [['msix', 'Contoso.Paint_1.2.0.0_x64__8wekyb3d8bbwe', 'Contoso Paint', '1.2.0.0']], "the user's tree: the user's package");
  t.ok(
    list.reads.every((r: any) => r.error === null),
    `every read succeeded: ${JSON.stringify(list.reads)}`,
  );
  t.equal(list.reads.length, 4, 'two trees, two sources each');
  t.equal((await s.admin('DELETE', `/api/v1/devices/${dev.deviceId}`)).status, 200);
  t.same(await s.server.store.deviceApps.list(list.id), { apps: [], reads: [] }, 'a deleted device takes its installed apps with it');
});
