// Schemas of the device list, fleet summary, device deletion and stale-device policy routes.
// Query strings refuse what they do not know (additionalProperties: false, and the app's ajv
// does not strip: removeAdditional is off), so a misspelt filter is a 400 naming it, never a
// silently unfiltered list.

import { pageQuery, planQuery, traceQuery } from './schemas.js';

const text = (maxLength: number, description: string) => ({ type: 'string', minLength: 1, maxLength, description }) as const;
const instant = (description: string) => ({ type: 'string', minLength: 10, maxLength: 40, description }) as const;

export const DEVICE_SORTS = ['lastSeen', 'enrolledAt', 'hostName', 'upn'] as const;

export const deviceListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: text(256, 'Substring of the UPN (enrollment or signed-in user), DeviceID, id or host name; case-insensitive.'),
    upn: text(256, 'UPN of the enrollment user or the signed-in user (exact, case-insensitive).'),
    deviceId: text(256, 'The client DeviceID (exact, case-insensitive).'),
    hostName: text(256, 'Host name (exact, case-insensitive): the reported DNSComputerName, else the enrollment DeviceName.'),
    osBuild: text(64, 'OS build prefix: 10.0.22631 matches 10.0.22631.4460.'),
    edition: text(64, 'Edition name (Enterprise, Pro, Education…) or number (4, 48, 121…).'),
    enrollmentType: { type: 'string', enum: ['Full', 'Device'] },
    state: { type: 'string', enum: ['enrolled', 'unenrolled'] },
    stale: {
      type: 'boolean',
      enum: [true],
      description: 'true: enrolled devices not seen for the stale policy staleAfterDays (never seen: since enrollment).',
    },
    lastSeenBefore: instant('Last check-in before this instant (ISO 8601); never-seen devices do not match.'),
    lastSeenAfter: instant('Last check-in at or after this instant (ISO 8601).'),
    profileStatus: {
      type: 'string',
      enum: ['pending', 'held', 'delivered', 'verified', 'failed', 'removing', 'removed'],
      description: 'Devices with a profile delivery in this status (of profileId when given).',
    },
    profileId: text(64, 'With profileStatus: that profile only; alone: devices with any delivery of it.'),
    compliance: {
      type: 'string',
      enum: ['compliant', 'noncompliant', 'inGracePeriod', 'unknown'],
      description: 'Devices in this compliance state (unknown: also devices never evaluated).',
    },
    sort: { type: 'string', enum: DEVICE_SORTS.flatMap((s) => [s, `-${s}`]), description: 'Order; a leading - for descending. Default enrolledAt.' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'Devices per page (default 100). With format=csv: at most this many (default all).' },
    cursor: { type: 'string', minLength: 1, maxLength: 2048, description: 'nextCursor of the previous page.' },
    offset: { type: 'integer', minimum: 0, maximum: 1_000_000, description: 'Kept for compatibility; cursors stay right while devices enroll.' },
    format: { type: 'string', enum: ['json', 'csv'], description: 'csv: the list as CSV (as Accept: text/csv).' },
  },
} as const;

/** The session traces' query (limit, session) and pretty, refusing anything else. */
export const traceViewQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...traceQuery.properties,
    pretty: { type: 'boolean', description: 'Each message indented (a truncated one is left as it is).' },
  },
} as const;

/** A device's commands (limit, offset), refusing anything else. */
export const commandListQuery = { ...pageQuery, additionalProperties: false } as const;

/** The dry run's query (user), refusing anything else. */
export const planViewQuery = { ...planQuery, additionalProperties: false } as const;

export const fleetSummaryQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

export const stalePolicyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['staleAfterDays', 'action'],
  properties: {
    staleAfterDays: { type: 'integer', minimum: 1, maximum: 3650, description: 'Not seen for this many days: stale.' },
    action: { type: 'string', enum: ['none', 'retire', 'delete'], description: 'What maintenance does to devices not seen for afterDays.' },
    afterDays: { type: 'integer', minimum: 1, maximum: 3650, description: 'At least staleAfterDays; default max(90, staleAfterDays).' },
  },
} as const;

export const stalePolicySchema = {
  type: 'object',
  properties: {
    staleAfterDays: { type: 'integer' },
    action: { type: 'string' },
    afterDays: { type: 'integer' },
    updatedAt: { type: 'string' },
  },
} as const;

const orNull = <S extends object>(schema: S) => ({ anyOf: [schema, { type: 'null' }] }) as const;
const userKey = orNull({ type: 'string', description: "The user's Entra object ID (lower case) whose ./User tree was read; null: the device tree" });
const appSource = {
  type: 'string',
  enum: ['msi', 'msix'],
  description: 'msi: the MSI product list; msix: the packaged-app inventory (AppInventoryQuery)',
} as const;

/** GET /api/v1/devices/:id/apps (issue #15). */
export const deviceAppsReply = {
  type: 'object',
  description: 'What is installed, as the device last reported it per tree (device, or a user) and source, and when each was read',
  required: ['id', 'deviceId', 'apps', 'reads'],
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    apps: {
      type: 'array',
      description: 'The device tree first, then per user; by source, then name',
      items: {
        type: 'object',
        required: ['user', 'source', 'key', 'name', 'version', 'publisher', 'seenAt'],
        properties: {
          user: userKey,
          source: appSource,
          key: { type: 'string', description: 'ProductCode (MSI, {GUID}) or PackageFullName (MSIX)' },
          name: orNull({ type: 'string' }),
          version: orNull({ type: 'string' }),
          publisher: orNull({ type: 'string' }),
          seenAt: { type: 'string', description: 'The read that last listed it' },
        },
      },
    },
    reads: {
      type: 'array',
      description: 'The last read of each tree and source',
      items: {
        type: 'object',
        required: ['user', 'source', 'readAt', 'error'],
        properties: {
          user: userKey,
          source: appSource,
          readAt: { type: 'string' },
          error: orNull({ type: 'string', description: 'Why that read gave nothing (the list shown is the one read before)' }),
        },
      },
    },
  },
} as const;
