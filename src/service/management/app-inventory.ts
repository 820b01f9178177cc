// What is installed on a device, read back (issue #15): which reads a session start adds, what
// the device's answers say, and the view of the admin API.
//
// When: only when the device's inventory is refreshed (the stale DevDetail Get, or the admin's
// `sync`), never at an ordinary check-in: the device tree (./Device), and the tree of the
// session's user — or, on a shared (Entra join) device in a session without one, of the user last
// signed in: that read waits in the queue for that user's session, and expires after the
// inventory period if the user does not come back.
// What: one Sequence per tree (protocol/csp/app-inventory.ts): the MSI product list, the
// AppInventoryQuery and its results; once the product list is answered, the products' Name,
// Version and Publisher in chunked Gets in the same session. Answers that are not what the CSP
// documents are left out and logged, never fatal: the session goes on.
import type { Logger } from 'pino';
import type { CommandAck, CommandRecord, CommandResult } from '../../domain/command.js';
import type { Device } from '../../domain/device.js';
import type { DmSessionState } from '../../domain/session.js';
import {
  appInventoryPayload,
  appInventoryResultsUri,
  msiDetailPayloads,
  msiListUri,
  parseAppInventoryResults,
  parseMsiDetails,
  parseMsiProductList,
  type InstalledApp,
} from '../../protocol/csp/app-inventory.js';
import type { DeviceApp, DeviceAppRead, DeviceAppSource, Store } from '../../store/types.js';
import { newCommand } from '../commands/queue.js';
import { notFound } from '../errors.js';

/** Actions of our commands (origin 'system'). */
export const APPS_READ = 'apps-read';
export const APPS_MSI_DETAIL = 'apps-msi-detail';

/** The user whose tree a session may read: the key stored, and the oid a command waits for (Entra join only). */
export interface AppUser {
  key: string;
  /** Set on a multi-user (Entra join) device: the command is held for this user's session. */
  oid?: string;
}

/** The user of this session whose ./User tree is readable, if any (the reconciler's rule: the signed-in Entra user, or a work account's own user). */
export function sessionUser(
  device: Pick<Device, 'enrollmentType' | 'userOid' | 'upn'>,
  state: Pick<DmSessionState, 'user'>,
  mode: string | undefined,
): AppUser | undefined {
  if (mode === 'Machine') return undefined;
  if (device.enrollmentType === 'Device') return state.user ? { key: state.user.oid.toLowerCase(), oid: state.user.oid } : undefined;
  const id = device.userOid ?? device.upn;
  return id ? { key: id.toLowerCase() } : undefined;
}

export class AppInventory {
  private readonly store: Store;
  private readonly maxAgeMs: number;
  private readonly log: Logger;

  constructor(o: { store: Store; maxAgeMs: number; log: Logger }) {
    this.store = o.store;
    this.maxAgeMs = o.maxAgeMs;
    this.log = o.log;
  }

  /**
   * Session start: the reads to add when the inventory is refreshed in this session (`refresh`:
   * it is stale, or `sync` the admin's sync), each tree's unless a read of it is still in the
   * queue or — for a stale inventory the device has not answered yet — was read within the period.
   */
  async plan(o: { device: Device; user?: AppUser; refresh: boolean; sync: boolean; at: string; queued: CommandRecord[] }): Promise<CommandRecord[]> {
    const { device, at } = o;
    if (!o.refresh && !o.sync) return [];
    const ours = o.queued.filter((c) => isOurs(c) && c.action === APPS_READ);
    const fresh = async (userKey: string) => {
      if (o.sync) return false;
      const reads = await this.store.deviceApps.reads(device.id, userKey);
      return reads.length > 0 && reads.every((r) => Date.parse(at) - Date.parse(r.readAt) < this.maxAgeMs);
    };
    const out: CommandRecord[] = [];
    if (!ours.some((c) => treeOf(c, device)?.scope === 'device') && !(await fresh(''))) {
      out.push(newCommand(device.id, appInventoryPayload('device'), { origin: 'system', action: APPS_READ, at }));
    }
    const user =
      o.user ??
      (device.enrollmentType === 'Device' && device.currentUserOid ? { key: device.currentUserOid.toLowerCase(), oid: device.currentUserOid } : undefined);
    if (user?.key && !ours.some((c) => treeOf(c, device)?.userKey === user.key) && !(await fresh(user.key))) {
      const expiresAt = new Date(Date.parse(at) + this.maxAgeMs).toISOString();
      out.push(newCommand(device.id, appInventoryPayload('user'), { origin: 'system', action: APPS_READ, userOid: user.oid, at, expiresAt }));
    }
    return out;
  }

  /**
   * What the device answered to our reads in this message: stored. Returns the commands that
   * follow (the MSI products' details), to send in this session. Never throws.
   */
  async answered(device: Device, acks: CommandAck[], commands: Map<string, CommandRecord>, at: string): Promise<CommandRecord[]> {
    const follow: CommandRecord[] = [];
    for (const a of acks) {
      const c = commands.get(a.commandId);
      if (!c || !isOurs(c) || (a.state !== 'acked' && a.state !== 'failed')) continue;
      try {
        const tree = treeOf(c, device);
        if (tree === undefined) continue;
        if (c.action === APPS_READ) follow.push(...(await this.onRead(device.id, c, a, tree, at)));
        else await this.onDetails(device.id, c, a, tree);
      } catch (err) {
        this.log.error({ err, command: c.id }, 'app inventory: recording the answer failed');
      }
    }
    return follow;
  }

  private async onRead(
    devicePk: string,
    c: CommandRecord,
    a: CommandAck,
    tree: { scope: 'device' | 'user'; userKey: string },
    at: string,
  ): Promise<CommandRecord[]> {
    const { scope, userKey } = tree;
    const results = a.results ?? [];
    const status = (i: number) => a.detail?.children?.find((x) => x.index === i)?.status;
    const ok = (i: number) => status(i)?.startsWith('2') === true;
    const follow: CommandRecord[] = [];
    // MSI: member 0.
    const list = results.find((r) => sameUri(r.locUri, msiListUri(scope)));
    if (list && ok(0)) {
      const read = parseMsiProductList(list.data);
      this.note(devicePk, 'msi', read.ignored);
      const before = new Map(
        (await this.store.deviceApps.list(devicePk)).apps.filter((x) => x.userKey === userKey && x.source === 'msi').map((x) => [x.appKey, x]),
      );
      // Until the details arrive, a product keeps what was read of it before.
      await this.store.deviceApps.replace(
        devicePk,
        userKey,
        'msi',
        read.value.map((code) => ({ ...pick(before.get(code)), appKey: code })),
        at,
      );
      for (const p of msiDetailPayloads(scope, read.value)) {
        follow.push(newCommand(devicePk, p, { origin: 'system', action: APPS_MSI_DETAIL, userOid: c.userOid, at }));
      }
    } else {
      await this.store.deviceApps.failed(devicePk, userKey, 'msi', why(status(0), list), at);
    }
    // MSIX: members 1 (the query) and 2 (the results).
    const res = results.find((r) => sameUri(r.locUri, appInventoryResultsUri(scope)));
    const query = status(1);
    // Results of a refused query would be those of another one.
    if (res && ok(2) && (query === undefined || query.startsWith('2'))) {
      const read = parseAppInventoryResults(res.data);
      this.note(devicePk, 'msix', read.ignored);
      const unreadable = read.value.length === 0 && read.ignored.some((x) => x.startsWith('AppInventoryResults is not'));
      if (unreadable) await this.store.deviceApps.failed(devicePk, userKey, 'msix', read.ignored[0], at);
      else await this.store.deviceApps.replace(devicePk, userKey, 'msix', read.value.map(row), at);
    } else {
      await this.store.deviceApps.failed(
        devicePk,
        userKey,
        'msix',
        query && !query.startsWith('2') ? `the device answered ${query} to the AppInventoryQuery` : why(status(2), res),
        at,
      );
    }
    return follow;
  }

  private async onDetails(devicePk: string, c: CommandRecord, a: CommandAck, tree: { userKey: string }): Promise<void> {
    const read = parseMsiDetails(a.results ?? []);
    this.note(devicePk, 'msi', read.ignored);
    if (read.value.length) await this.store.deviceApps.details(devicePk, tree.userKey, 'msi', read.value.map(row));
    else if (a.state === 'failed') this.log.info({ device: devicePk, command: c.id, status: a.status }, 'app inventory: MSI details not read');
  }

  private note(devicePk: string, source: DeviceAppSource, ignored: string[]): void {
    if (ignored.length)
      this.log.warn({ device: devicePk, source, ignored: ignored.slice(0, 5), count: ignored.length }, 'app inventory: parts of the answer ignored');
  }
}

const isOurs = (c: Pick<CommandRecord, 'origin' | 'action'>) => c.origin === 'system' && (c.action === APPS_READ || c.action === APPS_MSI_DETAIL);

/** The tree a command of ours read, from its LocURIs; undefined for a ./User read without a user key. */
function treeOf(c: CommandRecord, device: Pick<Device, 'userOid' | 'upn'>): { scope: 'device' | 'user'; userKey: string } | undefined {
  const first = c.payload.items?.[0]?.target ?? c.payload.commands?.[0]?.items?.[0]?.target ?? '';
  if (first.startsWith('./Device/')) return { scope: 'device', userKey: '' };
  const key = (c.userOid ?? device.userOid ?? device.upn)?.toLowerCase();
  return key ? { scope: 'user', userKey: key } : undefined;
}

/** A Results LocURI names our node (Windows may give it back as sent or decoded). */
function sameUri(got: string, want: string): boolean {
  return got === want || safeDecode(got) === want;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURI(s);
  } catch {
    return undefined;
  }
}

function why(status: string | undefined, result: CommandResult | undefined): string {
  if (status && !status.startsWith('2')) return `the device answered ${status}`;
  return result ? 'the answer could not be read' : 'the device sent no result';
}

const pick = (a: DeviceApp | undefined) => (a ? { name: a.name, version: a.version, publisher: a.publisher } : {});
const row = (a: InstalledApp) => ({ appKey: a.key, name: a.name, version: a.version, publisher: a.publisher });

/** The admin API's view (GET /api/v1/devices/:id/apps): apps and reads, `user` null for the device tree. */
export async function deviceAppsView(store: Store, id: string) {
  const d = (await store.devices.get(id)) ?? (await store.devices.getByDeviceId(id));
  if (!d) throw notFound('device');
  const { apps, reads } = await store.deviceApps.list(d.id);
  const user = (k: string) => (k === '' ? null : k);
  return {
    id: d.id,
    deviceId: d.deviceId,
    apps: apps.map((a: DeviceApp) => ({
      user: user(a.userKey),
      source: a.source,
      key: a.appKey,
      name: a.name ?? null,
      version: a.version ?? null,
      publisher: a.publisher ?? null,
      seenAt: a.seenAt,
    })),
    reads: reads.map((r: DeviceAppRead) => ({ user: user(r.userKey), source: r.source, readAt: r.readAt, error: r.error ?? null })),
  };
}
