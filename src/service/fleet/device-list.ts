// The device list as the admin API and CSV export give it: the query string turned into a store
// query (names of editions to numbers, instants checked, the stale policy applied), and a lean
// item per device — what a fleet view shows, not every inventory node.
import type { Device } from '../../domain/device.js';
import type { DeviceFilter, DeviceQuery, DeviceSortKey } from '../../domain/fleet.js';
import { invalid } from '../errors.js';
import { csvLine } from './csv.js';
import { decodeCursor } from './cursor.js';
import { edition, editionCodes } from './editions.js';

export interface DeviceListParams {
  q?: string;
  upn?: string;
  deviceId?: string;
  hostName?: string;
  osBuild?: string;
  edition?: string;
  enrollmentType?: 'Full' | 'Device';
  state?: 'enrolled' | 'unenrolled';
  stale?: boolean;
  lastSeenBefore?: string;
  lastSeenAfter?: string;
  profileStatus?: string;
  profileId?: string;
  compliance?: DeviceFilter['compliance'];
  /** lastSeen, enrolledAt, hostName or upn; `-` first for descending. */
  sort?: string;
  limit?: number;
  offset?: number;
  cursor?: string;
}

export interface DeviceListItem {
  id: string;
  deviceId: string;
  released?: boolean;
  state: Device['state'];
  enrollmentType: Device['enrollmentType'];
  authMethod: Device['authMethod'];
  tenantId?: string;
  user?: { oid?: string; upn?: string };
  signedInUser?: { oid: string; upn?: string };
  hostName?: string;
  deviceName?: string;
  osVersion?: string;
  osBuild?: string;
  edition?: string;
  editionCode?: number;
  hwDevId?: string;
  enrolledAt: string;
  lastSeenAt?: string;
}

export const DEFAULT_LIMIT = 100;

/**
 * A filtered list counts its matches up to this many (and says there are more), so a page of a
 * broad filter over a large fleet does not count every matching row; the whole fleet is counted.
 */
export const TOTAL_CAP = 10_000;

const FILTER_KEYS: (keyof DeviceFilter)[] = [
  'q',
  'upn',
  'deviceId',
  'hostName',
  'osBuild',
  'editionCodes',
  'enrollmentType',
  'state',
  'lastSeenBefore',
  'lastSeenAfter',
  'staleBefore',
  'profileStatus',
  'profileId',
  'compliance',
];

/** Whether the query narrows the fleet at all (an unfiltered count is cheap and exact). */
export const isFiltered = (f: DeviceFilter) => FILTER_KEYS.some((k) => f[k] !== undefined && f[k] !== '');

function instant(v: string | undefined, field: string): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t))
    throw invalid(`/${field}`, `${field} is an ISO 8601 date or date-time (2026-01-31 or 2026-01-31T08:00:00Z)`);
  return new Date(t).toISOString();
}

export function hostNameOf(d: Device): string | undefined {
  return d.inventory?.['./DevDetail/Ext/Microsoft/DNSComputerName'] ?? d.deviceName;
}

export function osBuildOf(d: Device): string | undefined {
  return d.inventory?.['./DevDetail/SwV'] ?? d.osVersion;
}

/** The store query of a list request; `staleAfterDays` from the stale policy. */
export function deviceQuery(p: DeviceListParams, staleAfterDays: number, now: Date): DeviceQuery & { sortSpec: string } {
  const sortSpec = p.sort ?? 'enrolledAt';
  const descending = sortSpec.startsWith('-');
  const sort = (descending ? sortSpec.slice(1) : sortSpec) as DeviceSortKey;
  if (p.cursor !== undefined && p.offset) throw invalid('/offset', 'offset and cursor do not go together: a cursor already says where the page starts');
  const staleBefore = p.stale ? new Date(now.getTime() - staleAfterDays * 86_400_000).toISOString() : undefined;
  return {
    sortSpec,
    sort,
    descending,
    limit: p.limit ?? DEFAULT_LIMIT,
    offset: p.offset,
    after: p.cursor === undefined ? undefined : decodeCursor(p.cursor, sortSpec),
    q: p.q,
    upn: p.upn,
    deviceId: p.deviceId,
    hostName: p.hostName,
    osBuild: p.osBuild,
    editionCodes: p.edition === undefined ? undefined : editionCodes(p.edition),
    enrollmentType: p.enrollmentType,
    // Stale devices: enrolled ones not seen since (a retired or deleted record is not stale).
    state: p.state ?? (p.stale ? 'enrolled' : undefined),
    lastSeenBefore: instant(p.lastSeenBefore, 'lastSeenBefore'),
    lastSeenAfter: instant(p.lastSeenAfter, 'lastSeenAfter'),
    staleBefore,
    profileStatus: p.profileStatus,
    profileId: p.profileId,
    compliance: p.compliance,
  };
}

export function listItem(d: Device): DeviceListItem {
  const e = edition(d.osEdition);
  return {
    id: d.id,
    deviceId: d.releasedDeviceId ?? d.deviceId,
    released: d.releasedDeviceId ? true : undefined,
    state: d.state,
    enrollmentType: d.enrollmentType,
    authMethod: d.authMethod,
    tenantId: d.tenantId,
    user: d.userOid || d.upn ? { oid: d.userOid, upn: d.upn } : undefined,
    signedInUser: d.currentUserOid ? { oid: d.currentUserOid, upn: d.currentUserUpn } : undefined,
    hostName: hostNameOf(d),
    deviceName: d.deviceName,
    osVersion: d.osVersion,
    osBuild: osBuildOf(d),
    edition: e.name,
    editionCode: e.code,
    hwDevId: d.hwDevId,
    enrolledAt: d.enrolledAt,
    lastSeenAt: d.lastSeenAt,
  };
}

const CSV_COLUMNS = [
  'id',
  'deviceId',
  'hostName',
  'upn',
  'signedInUpn',
  'osBuild',
  'edition',
  'editionCode',
  'enrollmentType',
  'state',
  'lastSeenAt',
  'enrolledAt',
];

export const csvHeader = () => csvLine(CSV_COLUMNS);

export const csvRow = (i: DeviceListItem) =>
  csvLine([
    i.id,
    i.deviceId,
    i.hostName,
    i.user?.upn,
    i.signedInUser?.upn,
    i.osBuild,
    i.edition,
    i.editionCode,
    i.enrollmentType,
    i.state,
    i.lastSeenAt,
    i.enrolledAt,
  ]);
