// Admin API: Enrollment Status Page policies, a device's day-zero timeline and the fleet's day
// zero (issue #16). Bodies and replies are described here (they document the OpenAPI operations
// and serialize the replies); the rules beyond types (a group or profile that exists, blocking
// options only with blockDevice) are the service's, which names the field.
import type { EspPolicyService, EspPolicyInput } from '../../service/esp/policies.js';
import type { DayZeroView } from '../../service/esp/timeline.js';
import { invalid } from '../../service/errors.js';
import { actorOf } from './auth.js';
import type { AdminApi } from './schema-types.js';
import { idParams } from './schemas.js';
import { errorReplies, noContent } from './openapi-replies.js';

const str = { type: 'string' } as const;
const instant = { type: 'string', description: 'ISO 8601 instant' } as const;

const target = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  description: 'Who the policy applies to, as profile assignments: every device, a local group (its devices and users), an Entra group (object ID)',
  properties: { type: { type: 'string', enum: ['all', 'group', 'entraGroup'] }, id: { type: 'string', maxLength: 256 } },
} as const;

const policyProps = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  target,
  requiredProfileIds: {
    type: 'array',
    maxItems: 100,
    items: { type: 'string', maxLength: 256 },
    description: 'Profiles (apps included) that must be in place before the desktop, when they are assigned to the device (device phase) or user (user phase)',
  },
  timeoutMinutes: { type: 'integer', minimum: 1, maximum: 1440, description: 'TimeOutUntilSyncFailure (default 60)' },
  errorText: { type: 'string', maxLength: 1000, description: 'CustomErrorText: shown by the device when day zero fails or times out' },
  blockDevice: { type: 'boolean', description: 'BlockInStatusPage: keep the user on the page until done (Try again offered on failure)' },
  allowReset: { type: 'boolean', description: 'With blockDevice: offer Reset PC on failure' },
  allowContinue: { type: 'boolean', description: 'With blockDevice: offer Continue anyway on failure' },
  allowCollectLogs: { type: 'boolean', description: 'AllowCollectLogsButton' },
  skipUserPhase: { type: 'boolean', description: 'SkipUserStatusPage' },
  skipDevicePhase: { type: 'boolean', description: 'SkipDeviceStatusPage' },
} as const;

const policyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'target', 'requiredProfileIds'],
  properties: { ...policyProps, tenantId: { type: 'string', maxLength: 64, description: 'Entra group target: the tenant it is synced from' } },
} as const;

const policyReply = {
  type: 'object',
  required: [
    'id',
    'name',
    'target',
    'requiredProfileIds',
    'timeoutMinutes',
    'blockDevice',
    'allowCollectLogs',
    'skipUserPhase',
    'skipDevicePhase',
    'createdAt',
    'updatedAt',
  ],
  properties: { id: str, ...policyProps, createdAt: instant, updatedAt: instant },
} as const;

const event = {
  type: 'object',
  required: ['at', 'type'],
  properties: {
    at: instant,
    type: { type: 'string', enum: ['started', 'item-done', 'item-failed', 'finished', 'failed', 'timed-out'] },
    profileId: str,
    name: str,
    detail: str,
  },
} as const;

const run = {
  type: 'object',
  required: ['userKey', 'policyId', 'startedAt', 'deadline', 'items', 'events'],
  properties: {
    userKey: { type: 'string', description: "'' for the device phase, else the user's Entra object ID" },
    upn: str,
    policyId: str,
    startedAt: instant,
    deadline: instant,
    errorText: str,
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['profileId', 'status'],
        properties: { profileId: str, name: str, kind: str, status: { type: 'string', enum: ['pending', 'done', 'failed'] }, at: instant, detail: str },
      },
    },
    finishedAt: instant,
    outcome: { type: 'string', enum: ['done', 'timed-out', 'failed'], description: 'absent while in progress' },
    events: { type: 'array', items: event },
  },
} as const;

const dayZeroReply = {
  type: 'object',
  required: ['device', 'deviceId', 'enrolledAt', 'runs'],
  properties: { device: str, deviceId: str, enrolledAt: instant, runs: { type: 'array', items: run } },
} as const;

const fleetQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    phase: { type: 'string', enum: ['device', 'user', 'all'], default: 'device' },
    since: { type: 'string', maxLength: 40, description: 'only runs started at or after this instant' },
  },
} as const;

const fleetReply = {
  type: 'object',
  required: ['phase', 'runs', 'byOutcome', 'blocking'],
  properties: {
    phase: str,
    runs: { type: 'integer' },
    byOutcome: {
      type: 'object',
      required: ['inProgress', 'done', 'failed', 'timedOut'],
      properties: { inProgress: { type: 'integer' }, done: { type: 'integer' }, failed: { type: 'integer' }, timedOut: { type: 'integer' } },
    },
    p50Seconds: { type: 'number', description: 'of the runs that finished' },
    p95Seconds: { type: 'number' },
    blocking: {
      type: 'array',
      description: 'The items that held runs back most (the last one done, or the failed / still pending ones)',
      items: {
        type: 'object',
        required: ['profileId', 'runs', 'failed', 'timedOut'],
        properties: { profileId: str, name: str, runs: { type: 'integer' }, failed: { type: 'integer' }, timedOut: { type: 'integer' } },
      },
    },
  },
} as const;

const tags = ['esp'];

export function espRoutes(api: AdminApi, deps: { espPolicies: EspPolicyService; dayZero: DayZeroView }): void {
  const { espPolicies: policies, dayZero } = deps;
  api.get(
    '/api/v1/esp-policies',
    {
      schema: {
        operationId: 'listEspPolicies',
        tags,
        summary: 'List the Enrollment Status Page policies',
        response: { 200: { type: 'array', items: policyReply }, ...errorReplies() },
      },
    },
    () => policies.list(),
  );
  api.post(
    '/api/v1/esp-policies',
    {
      schema: {
        operationId: 'createEspPolicy',
        tags,
        summary: 'Create an Enrollment Status Page policy',
        body: policyBody,
        response: { 201: { ...policyReply, description: 'Created' }, ...errorReplies(400, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await policies.create(request.body as EspPolicyInput, actorOf(request))),
  );
  api.get(
    '/api/v1/esp-policies/:id',
    {
      schema: {
        operationId: 'getEspPolicy',
        tags,
        summary: 'An Enrollment Status Page policy',
        params: idParams,
        response: { 200: policyReply, ...errorReplies(404) },
      },
    },
    (request) => policies.get(request.params.id),
  );
  api.put(
    '/api/v1/esp-policies/:id',
    {
      schema: {
        operationId: 'replaceEspPolicy',
        tags,
        summary: 'Replace an Enrollment Status Page policy (runs already started keep what they declared)',
        params: idParams,
        body: policyBody,
        response: { 200: policyReply, ...errorReplies(400, 404, 409, 413, 415) },
      },
    },
    (request) => policies.update(request.params.id, request.body as EspPolicyInput, actorOf(request)),
  );
  api.delete(
    '/api/v1/esp-policies/:id',
    {
      schema: {
        operationId: 'deleteEspPolicy',
        tags,
        summary: 'Delete an Enrollment Status Page policy (runs already started go on)',
        params: idParams,
        response: { 204: noContent('Deleted'), ...errorReplies(404) },
      },
    },
    async (request, reply) => {
      await policies.delete(request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/devices/:id/day-zero',
    {
      schema: {
        operationId: 'getDeviceDayZero',
        tags,
        summary: "A device's day zero: the device phase's and each user's Enrollment Status Page run, with their timelines",
        params: idParams,
        response: { 200: dayZeroReply, ...errorReplies(404) },
      },
    },
    (request) => dayZero.device(request.params.id),
  );
  api.get(
    '/api/v1/fleet/day-zero',
    {
      schema: {
        operationId: 'getFleetDayZero',
        tags,
        summary: 'How long day zero takes across the fleet (p50/p95), runs by outcome, and the items that block most',
        querystring: fleetQuery,
        response: { 200: fleetReply, ...errorReplies(400) },
      },
    },
    (request) => {
      const q = request.query as { phase?: 'device' | 'user' | 'all'; since?: string };
      const since = q.since === undefined ? undefined : Date.parse(q.since);
      if (since !== undefined && !Number.isFinite(since)) throw invalid('/since', 'an ISO 8601 instant');
      return dayZero.fleet(q.phase ?? 'device', since === undefined ? undefined : new Date(since).toISOString());
    },
  );
}
