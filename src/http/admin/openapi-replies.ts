// Response schemas of the admin API. They document the replies in the OpenAPI document AND
// serialize them (Fastify's fast-json-stringify writes only the properties a schema lists), so
// each lists every field its service returns; `required` names only what is always there
// (the serializer refuses a reply missing one). Free-form maps say so (additionalProperties).
// test/admin/openapi-replies.test.ts checks real replies against them, field by field.
import { errorSchema, revokeResponse, tenantSchema } from './schemas.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const instant = { type: 'string', description: 'ISO 8601 instant' } as const;
const counts = (description: string) => ({ type: 'object', description, additionalProperties: int }) as const;
const nullable = <S extends object>(schema: S) => ({ anyOf: [schema, { type: 'null' }] }) as const;

/** An error reply, described for its status. */
export const errorReply = (description: string) => ({ ...errorSchema, description }) as const;
export const noContent = (description: string) => ({ type: 'null', description }) as const;

/** The error replies an operation can send: every admin operation can answer 401, 500 and 503. */
export function errorReplies(...statuses: (400 | 404 | 409 | 413 | 415)[]) {
  const text: Record<number, string> = {
    400: 'Invalid request: the pointer names the field',
    401: 'No valid admin bearer token',
    404: 'Not found',
    409: 'Conflict with the current state',
    413: 'Body larger than the route admits',
    415: 'Body not JSON',
    500: 'Internal error (logged on the server)',
    503: 'Database unavailable or busy: retry later',
  };
  const out: Record<number, ReturnType<typeof errorReply>> = {};
  for (const s of [...statuses, 401, 500, 503].sort()) out[s] = errorReply(text[s]);
  return out;
}

// ---- tenants, enrollment accounts ----------------------------------------------------------------

export const tenantList = { type: 'array', description: 'The connected tenants', items: tenantSchema } as const;
export const tenantReply = { ...tenantSchema, required: ['tenantId', 'cloud', 'audiences', 'createdAt', 'updatedAt'] } as const;

export const enrollmentAccount = {
  type: 'object',
  description: 'An on-premises enrollment account (the password is never returned)',
  required: ['username', 'createdAt'],
  properties: { username: str, createdAt: instant },
} as const;
export const enrollmentAccountList = { type: 'array', description: 'The enrollment accounts', items: enrollmentAccount } as const;

// ---- devices ---------------------------------------------------------------------------------------

const enrollmentUser = { type: 'object', description: 'The enrollment user', properties: { oid: str, upn: str } } as const;
const signedInUser = {
  type: 'object',
  description: 'The Entra user signed in at the last check-in',
  required: ['oid'],
  properties: { oid: str, upn: str },
} as const;
const deviceState = { type: 'string', enum: ['enrolled', 'unenrolled'] } as const;
const enrollmentType = { type: 'string', enum: ['Full', 'Device'] } as const;
const authMethod = { type: 'string', enum: ['entra', 'onpremise'] } as const;

const deviceListItem = {
  type: 'object',
  required: ['id', 'deviceId', 'state', 'enrollmentType', 'authMethod', 'enrolledAt'],
  properties: {
    id: str,
    deviceId: str,
    released: { type: 'boolean', description: 'Unenrolled, and its DeviceID enrolled afresh since' },
    state: deviceState,
    enrollmentType,
    authMethod,
    tenantId: str,
    user: enrollmentUser,
    signedInUser,
    hostName: str,
    deviceName: str,
    osVersion: str,
    osBuild: str,
    edition: str,
    editionCode: int,
    hwDevId: str,
    enrolledAt: instant,
    lastSeenAt: instant,
  },
} as const;

export const deviceList = {
  type: 'object',
  description: 'One page of devices (as JSON; text/csv with format=csv or Accept: text/csv)',
  required: ['total', 'devices'],
  properties: {
    total: {
      type: 'integer',
      description: 'Devices matching the filters. A filtered list counts up to 10,000: past that, total is 10000 and totalIsLowerBound is true',
    },
    totalIsLowerBound: { type: 'boolean', enum: [true], description: 'Present (true) when more than total devices match' },
    devices: { type: 'array', items: deviceListItem },
    nextCursor: { type: 'string', description: 'Cursor of the next page; absent on the last' },
  },
} as const;

const certificate = {
  type: 'object',
  required: ['serial', 'thumbprint', 'subject', 'notBefore', 'notAfter', 'status'],
  properties: {
    serial: str,
    thumbprint: str,
    subject: str,
    notBefore: instant,
    notAfter: instant,
    status: { type: 'string', enum: ['active', 'superseded', 'revoked'] },
  },
} as const;

const inventory = {
  type: 'object',
  description: 'What the device reported (DevInfo, DevDetail)',
  required: ['nodes'],
  properties: {
    osVersion: str,
    osEdition: str,
    manufacturer: str,
    model: str,
    serialNumber: str,
    hostname: str,
    deviceName: str,
    processorArchitecture: int,
    totalRamMb: int,
    totalStorageMb: int,
    freeStorageMb: int,
    wlanMac: str,
    language: str,
    updatedAt: instant,
    nodes: { type: 'object', description: 'Every node read, by LocURI, as the device sent it', additionalProperties: str },
  },
} as const;

const retries = { type: 'object', required: ['intervalMinutes', 'count'], properties: { intervalMinutes: int, count: int } } as const;

/** A check-in schedule (DMClient Poll) as replies carry it. */
export const scheduleReply = {
  type: 'object',
  required: ['firstRetries', 'secondRetries', 'regular', 'pollOnLogin', 'allUsersPollOnFirstLogin'],
  properties: { firstRetries: retries, secondRetries: retries, regular: retries, pollOnLogin: bool, allUsersPollOnFirstLogin: bool },
} as const;

const deliveryView = {
  type: 'object',
  required: ['profileId', 'status', 'version'],
  properties: {
    profileId: str,
    name: str,
    kind: str,
    scope: str,
    status: str,
    detail: str,
    version: int,
    currentVersion: int,
    updatedAt: instant,
  },
} as const;

const userKey = { type: 'object', required: ['key'], properties: { key: str, upn: str } } as const;

export const deviceDetail = {
  type: 'object',
  description: 'The device, its certificates, users, alerts, profiles, push and check-in state',
  required: [...deviceListItem.required, 'updatedAt', 'certificates', 'loginHistory', 'recentAlerts', 'pendingCommands', 'push', 'checkin'],
  properties: {
    id: str,
    deviceId: str,
    state: deviceState,
    released: deviceListItem.properties.released,
    revokeAfter: {
      type: 'object',
      description: 'A revocation waiting for a wipe or retire to be answered',
      required: ['command'],
      properties: { command: str, deadline: instant },
    },
    enrollmentType,
    authMethod,
    entraDeviceId: str,
    tenantId: str,
    user: enrollmentUser,
    deviceName: str,
    hostName: str,
    osVersion: str,
    osBuild: str,
    osEdition: str,
    osEditionCode: int,
    deviceType: str,
    hwDevId: str,
    enrolledAt: instant,
    updatedAt: instant,
    termsAcceptedAt: instant,
    certificate: { ...certificate, description: 'The active certificate' },
    lastSeenAt: instant,
    signedInUser,
    loginStatus: str,
    inventory,
    certificates: { type: 'array', items: certificate },
    loginHistory: {
      type: 'array',
      items: {
        type: 'object',
        required: ['oid', 'firstSeen', 'lastSeen', 'sessions'],
        properties: { oid: str, upn: str, firstSeen: instant, lastSeen: instant, sessions: int },
      },
    },
    recentAlerts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'at'],
        properties: { code: str, type: str, format: str, mark: str, source: str, data: str, at: instant },
      },
    },
    pendingCommands: { type: 'integer', description: 'Commands queued for the device' },
    profiles: {
      type: 'array',
      description: 'Profile status per user; user null: the device tree',
      items: { type: 'object', required: ['user', 'profiles'], properties: { user: nullable(userKey), profiles: { type: 'array', items: deliveryView } } },
    },
    push: {
      type: 'object',
      description: 'WNS push: configured false when it is not; else the channel, the last push and its result',
      required: ['configured'],
      properties: {
        configured: bool,
        channel: { type: 'string', enum: ['ok', 'none', 'device-error', 'refused', 'gone'] },
        channelHost: nullable(str),
        deviceStatus: nullable(int),
        reportedAt: nullable(instant),
        expiresAt: nullable(instant),
        lastPushAt: nullable(instant),
        lastResult: nullable(str),
        consecutiveFailures: int,
        backoffUntil: nullable(instant),
        usable: bool,
      },
    },
    checkin: {
      type: 'object',
      description: 'The check-in schedule the device should hold, its delivery and the next check-in expected',
      required: ['effective', 'source', 'delivery'],
      properties: {
        effective: scheduleReply,
        source: {
          type: 'object',
          required: ['kind'],
          properties: { kind: { type: 'string', enum: ['default', 'global', 'group'] }, groupId: str, groupName: str },
        },
        delivery: {
          type: 'object',
          required: ['state'],
          properties: { state: { type: 'string', enum: ['applied', 'pending', 'failed'] }, since: instant, error: str, commandId: str },
        },
        nextCheckinExpectedAt: instant,
        nextCheckinIntervalMinutes: int,
      },
    },
  },
} as const;

export const deviceRemoval = {
  type: 'object',
  description: 'The device record is deleted: what went with it',
  required: ['id', 'deviceId', 'revokedCertificates', 'removed'],
  properties: {
    id: str,
    deviceId: str,
    revokedCertificates: { type: 'array', items: str, description: 'Serials revoked' },
    removed: counts('Rows deleted, by table'),
  },
} as const;

export const devicePlan = {
  type: 'object',
  description: "Dry run: what the device's next session for this user would carry",
  required: ['deviceId', 'user', 'queued', 'profiles', 'syncml'],
  properties: {
    deviceId: str,
    user: nullable(userKey),
    queued: { type: 'integer', description: 'Commands already queued that the session would send first' },
    profiles: {
      type: 'array',
      items: {
        type: 'object',
        required: ['profileId', 'userKey', 'action'],
        properties: { profileId: str, name: str, userKey: str, action: str, detail: str },
      },
    },
    syncml: { type: 'string', description: 'The SyncML message, secrets shown as (secret)' },
  },
} as const;

export const revokeReply = (description: string) => ({ ...revokeResponse, required: ['id', 'deviceId', 'state'], description }) as const;

// A queued command's payload: Add/Replace/… with items, or Atomic/Sequence with child commands.
const commandItem = {
  type: 'object',
  required: ['target'],
  properties: { target: str, format: str, type: str, data: str, dataIsXml: bool, sealed: bool },
} as const;
const verb = { type: 'string', enum: ['Add', 'Replace', 'Delete', 'Get', 'Exec', 'Atomic', 'Sequence'] } as const;
const childPayload = {
  type: 'object',
  required: ['kind'],
  properties: {
    kind: verb,
    items: { type: 'array', items: commandItem },
    commands: { type: 'array', items: { type: 'object', additionalProperties: true, description: 'A nested command of this same shape' } },
  },
} as const;
const payload = {
  type: 'object',
  required: ['kind'],
  properties: { kind: verb, items: { type: 'array', items: commandItem }, commands: { type: 'array', items: childPayload } },
} as const;
const statusAt = { type: 'object', required: ['index', 'status'], properties: { index: int, status: str } } as const;

export const commandReply = {
  type: 'object',
  description: 'A command in the device queue',
  required: ['id', 'devicePk', 'origin', 'payload', 'state', 'createdAt', 'updatedAt', 'attempts', 'maxAttempts'],
  properties: {
    id: str,
    devicePk: str,
    userOid: str,
    origin: { type: 'string', enum: ['admin', 'inventory', 'profile', 'system'] },
    action: str,
    payload,
    state: { type: 'string', enum: ['queued', 'held', 'sent', 'acked', 'failed', 'cancelled', 'expired'] },
    heldReason: str,
    createdAt: instant,
    updatedAt: instant,
    expiresAt: instant,
    attempts: int,
    maxAttempts: int,
    sentSession: str,
    sentMsgId: str,
    sentCmdId: str,
    sentAt: instant,
    status: { type: 'string', description: 'SyncML status code' },
    detail: {
      type: 'object',
      properties: {
        children: { type: 'array', items: statusAt },
        items: { type: 'array', items: statusAt },
        missing: { type: 'array', items: str },
        retriedAs: str,
        note: str,
      },
    },
    ackedAt: instant,
    error: str,
    results: { type: 'array', items: { type: 'object', required: ['locUri'], properties: { locUri: str, format: str, type: str, data: str } } },
    batch: str,
    profile: {
      type: 'object',
      required: ['profileId', 'version', 'userKey', 'op'],
      properties: {
        profileId: str,
        version: int,
        userKey: str,
        op: { type: 'string', enum: ['apply', 'remove', 'verify'] },
        expect: { type: 'object', additionalProperties: str },
      },
    },
  },
} as const;

export const commandList = {
  type: 'object',
  description: "A page of the device's commands, newest first",
  required: ['commands'],
  properties: { commands: { type: 'array', items: commandReply } },
} as const;

export const traceList = {
  type: 'object',
  description: 'SyncML messages of recent sessions',
  required: ['messages'],
  properties: {
    messages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'sessionId', 'msgId', 'direction', 'at', 'body', 'truncated'],
        properties: {
          id: int,
          sessionId: str,
          msgId: str,
          direction: { type: 'string', enum: ['in', 'out'] },
          at: instant,
          body: str,
          truncated: bool,
          pretty: { type: 'boolean', description: 'With pretty=true: whether this body was indented' },
        },
      },
    },
  },
} as const;

export const fleetSummaryReply = {
  type: 'object',
  description: 'Device counts over the fleet',
  required: ['at', 'total', 'byOsBuild', 'byEdition', 'byEditionCode', 'byEnrollmentType', 'byState', 'lastSeen', 'stale'],
  properties: {
    at: instant,
    total: int,
    byOsBuild: counts('Devices by OS build'),
    byEdition: counts('Devices by edition name'),
    byEditionCode: counts("Devices by edition number ('' when unknown)"),
    byEnrollmentType: counts('Devices by enrollment type'),
    byState: counts('Devices by state'),
    lastSeen: {
      type: 'object',
      required: ['today', 'last7Days', 'last30Days', 'older', 'never'],
      properties: { today: int, last7Days: int, last30Days: int, older: int, never: int },
    },
    stale: { type: 'object', required: ['count', 'staleAfterDays', 'policy'], properties: { count: int, staleAfterDays: int, policy: str } },
    byCompliance: counts(
      'Devices evaluated for compliance, by state (compliant, noncompliant, inGracePeriod, unknown); devices never evaluated are not counted',
    ),
  },
} as const;

// ---- profiles, assignments, groups ----------------------------------------------------------------

/** A profile as replies carry it; settings are typed per kind in the OpenAPI document (openapi.ts). */
export const profileReply = {
  type: 'object',
  description: 'A profile (secrets masked)',
  required: ['id', 'name', 'kind', 'scope', 'version', 'settings', 'createdAt', 'updatedAt'],
  properties: {
    id: str,
    name: str,
    kind: { type: 'string', enum: ['vpn', 'wifi', 'email', 'certificate', 'hello', 'custom'] },
    scope: { type: 'string', enum: ['user', 'device'] },
    version: int,
    settings: { type: 'object', additionalProperties: true, description: 'Per kind: see schemas/profiles/<kind>.schema.json' },
    createdAt: instant,
    updatedAt: instant,
    context: {
      type: 'object',
      description: 'The certificate profiles this version was compiled with, by ref',
      additionalProperties: { type: 'object', additionalProperties: true },
    },
  },
} as const;
export const profileList = { type: 'array', description: 'The profiles', items: profileReply } as const;

export const assignmentReply = {
  type: 'object',
  description: 'An assignment of a profile',
  required: ['profileId', 'targetType', 'targetId', 'createdAt'],
  properties: {
    profileId: str,
    targetType: { type: 'string', enum: ['user', 'group', 'device', 'all', 'entraGroup'] },
    targetId: { type: 'string', description: "Entra oid or UPN (lower case), group id, device id, Entra group object ID (lower case), or '*' (all)" },
    createdAt: instant,
  },
} as const;

export const profileDetail = {
  ...profileReply,
  description: 'A profile (secrets masked) and its assignments',
  required: [...profileReply.required, 'assignments'],
  properties: { ...profileReply.properties, assignments: { type: 'array', items: assignmentReply } },
} as const;

const deliveryBrief = {
  type: 'object',
  required: ['deviceId', 'user', 'version', 'updatedAt'],
  properties: { deviceId: str, user: nullable(userKey), version: int, detail: str, updatedAt: instant },
} as const;

export const profileStatusReply = {
  type: 'object',
  description: 'Where the profile stands over the fleet',
  required: ['profileId', 'name', 'version', 'counts', 'targetedNotSeen', 'outdated', 'failures', 'held'],
  properties: {
    profileId: str,
    name: str,
    version: int,
    counts: counts('Deliveries by status'),
    targetedNotSeen: { type: 'integer', description: 'Targeted enrolled devices with no delivery yet' },
    outdated: { type: 'integer', description: 'Deliveries behind the current version' },
    failures: { type: 'array', items: deliveryBrief },
    held: { type: 'array', items: deliveryBrief },
  },
} as const;

const group = {
  type: 'object',
  required: ['id', 'name', 'kind', 'createdAt'],
  properties: { id: str, name: str, kind: { type: 'string', enum: ['user', 'device'] }, createdAt: instant },
} as const;
export const groupList = { type: 'array', description: 'The groups', items: group } as const;
export const groupReply = {
  ...group,
  description: 'A group and its members',
  required: [...group.required, 'members'],
  properties: { ...group.properties, members: { type: 'array', items: str } },
} as const;

// ---- audit ---------------------------------------------------------------------------------------

export const auditReply = {
  type: 'object',
  description: 'Audit entries, newest first',
  required: ['entries'],
  properties: {
    entries: {
      type: 'array',
      items: {
        type: 'object',
        required: ['at', 'actor', 'action', 'targetType', 'targetId'],
        properties: {
          id: int,
          at: instant,
          actor: str,
          action: str,
          targetType: str,
          targetId: str,
          detail: { type: 'object', additionalProperties: true, description: 'What the action changed (free form, per action)' },
        },
      },
    },
  },
} as const;
