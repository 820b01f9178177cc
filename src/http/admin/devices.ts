// Admin API: devices — list (filters, sorts, cursor pages, CSV), detail, plan, sessions,
// revocation, deletion and commands — the fleet summary and the stale-device policy.
import { Readable } from 'node:stream';
import type { Store } from '../../store/types.js';
import type { DeviceService } from '../../service/devices.js';
import type { DeviceRevocationService } from '../../service/device-revocation.js';
import { prettyTraces } from '../../service/fleet/trace-view.js';
import { currentStalePolicy, setStalePolicy } from '../../service/fleet/stale-policy.js';
import { fleetSummary } from '../../service/fleet/summary.js';
import type { DeviceCommandService, QueueInput } from '../../service/management/device-commands.js';
import type { ProfileStatusService } from '../../service/reconcile/status.js';
import { actorOf } from './auth.js';
import { deviceAppsView } from '../../service/management/app-inventory.js';
import {
  commandListQuery,
  deviceAppsReply,
  deviceListQuery,
  fleetSummaryQuery,
  planViewQuery,
  stalePolicyBody,
  stalePolicySchema,
  traceViewQuery,
} from './device-schemas.js';
import type { AdminApi } from './schema-types.js';
import { commandBody, deviceCommandParams, idParams, revokeBody } from './schemas.js';
import {
  commandList,
  commandReply,
  deviceDetail,
  deviceList,
  devicePlan,
  deviceRemoval,
  errorReplies,
  fleetSummaryReply,
  noContent,
  revokeReply,
  traceList,
} from './openapi-replies.js';

const devices = (operationId: string, summary: string) => ({ operationId, summary, tags: ['devices'] });
const fleet = (operationId: string, summary: string) => ({ operationId, summary, tags: ['fleet'] });
const stalePolicyReply = { ...stalePolicySchema, required: ['staleAfterDays', 'action', 'afterDays'], description: 'The stale-device policy' } as const;

export function deviceRoutes(
  api: AdminApi,
  deps: { store: Store; devices: DeviceService; commands: DeviceCommandService; revocation: DeviceRevocationService; profileStatus: ProfileStatusService },
): void {
  api.get(
    '/api/v1/devices',
    {
      schema: {
        ...devices('listDevices', 'List devices: filters, sort, cursor pages; CSV with format=csv or Accept: text/csv'),
        querystring: deviceListQuery,
        response: {
          200: {
            description: 'One page of devices, or every matching device as CSV',
            content: {
              'application/json': { schema: deviceList },
              'text/csv': { schema: { type: 'string', description: 'A header row, then one row per device' } },
            },
          },
          ...errorReplies(400),
        },
      },
    },
    async (request, reply) => {
      const { format, ...params } = request.query;
      const accept = request.headers.accept ?? '';
      if (format === 'csv' || (format === undefined && /\btext\/csv\b/i.test(accept))) {
        const lines = await deps.devices.csv(params);
        return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="devices.csv"').send(Readable.from(lines));
      }
      return deps.devices.list(params);
    },
  );
  api.get(
    '/api/v1/devices/:id',
    {
      schema: {
        ...devices('getDevice', 'Get a device (by id or DeviceID) with its certificates, users, alerts, profiles, push and check-in state'),
        params: idParams,
        response: { 200: deviceDetail, ...errorReplies(400, 404) },
      },
    },
    (request) => deps.devices.get(request.params.id),
  );
  // Deletes the record after revoking its certificates; what went with it is audited and answered.
  api.delete(
    '/api/v1/devices/:id',
    {
      schema: {
        ...devices('deleteDevice', 'Delete a device record, revoking its certificates first'),
        params: idParams,
        response: { 200: deviceRemoval, ...errorReplies(400, 404) },
      },
    },
    (request) => deps.devices.remove(request.params.id, actorOf(request)),
  );

  api.get(
    '/api/v1/devices/:id/plan',
    {
      schema: {
        ...devices('getDevicePlan', "Dry run: the SyncML the device's next session for a user would carry"),
        params: idParams,
        querystring: planViewQuery,
        response: { 200: devicePlan, ...errorReplies(400, 404) },
      },
    },
    (request) => deps.profileStatus.plan(request.params.id, request.query.user),
  );

  api.post(
    '/api/v1/devices/:id/revoke',
    {
      schema: {
        ...devices('revokeDevice', "Revoke a device's enrollment now, or once a wipe or retire is answered"),
        params: idParams,
        body: revokeBody,
        response: {
          200: revokeReply('Revoked now'),
          202: revokeReply('Revocation pending: the wipe or retire is queued'),
          ...errorReplies(400, 404, 409, 413, 415),
        },
      },
      // No body at all means revoke now, as `{}` does.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const r = await deps.revocation.revoke(request.params.id, request.body, actorOf(request));
      return reply.code(r.state === 'unenrolled' ? 200 : 202).send(r);
    },
  );
  api.post(
    '/api/v1/devices/:id/commands',
    {
      schema: {
        ...devices('queueDeviceCommand', 'Queue a named action (sync, reboot, wipe, retire) or a raw OMA-DM command'),
        params: idParams,
        body: commandBody,
        response: { 201: { ...commandReply, description: 'Queued' }, ...errorReplies(400, 404, 409, 413, 415) },
      },
    },
    // The schema checks two levels of commands; deeper ones are plain objects to it, and
    // payloadFromInput checks every level, so the body is handed on as a QueueInput.
    async (request, reply) => reply.code(201).send(await deps.commands.queue(request.params.id, request.body as QueueInput, actorOf(request))),
  );
  api.get(
    '/api/v1/devices/:id/commands',
    {
      schema: {
        ...devices('listDeviceCommands', "List a device's commands, newest first"),
        params: idParams,
        querystring: commandListQuery,
        response: { 200: commandList, ...errorReplies(400, 404) },
      },
    },
    (request) => deps.commands.list(request.params.id, request.query.limit, request.query.offset),
  );
  api.delete(
    '/api/v1/devices/:id/commands/:commandId',
    {
      schema: {
        ...devices('cancelDeviceCommand', 'Cancel a queued command'),
        params: deviceCommandParams,
        response: { 204: noContent('Cancelled'), ...errorReplies(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await deps.commands.cancel(request.params.id, request.params.commandId, actorOf(request));
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/devices/:id/sessions',
    {
      schema: {
        ...devices('listDeviceSessions', "Read the SyncML messages of a device's recent sessions"),
        params: idParams,
        querystring: traceViewQuery,
        response: { 200: traceList, ...errorReplies(400, 404) },
      },
    },
    async (request) => {
      const traces = await deps.commands.traces(request.params.id, request.query.limit, request.query.session);
      return request.query.pretty ? prettyTraces(traces) : traces;
    },
  );

  api.get(
    '/api/v1/devices/:id/apps',
    {
      schema: {
        ...devices('listDeviceApps', 'What is installed on a device (MSI products, packaged apps), per tree and user, as last read back'),
        params: idParams,
        response: { 200: deviceAppsReply, ...errorReplies(400, 404) },
      },
    },
    (request) => deviceAppsView(deps.store, request.params.id),
  );

  api.get(
    '/api/v1/fleet/summary',
    {
      schema: {
        ...fleet('getFleetSummary', 'Count devices by OS build, edition, enrollment type, state and last check-in'),
        querystring: fleetSummaryQuery,
        response: { 200: fleetSummaryReply, ...errorReplies(400) },
      },
    },
    () => fleetSummary(deps.store),
  );
  api.get(
    '/api/v1/settings/stale-devices',
    { schema: { ...fleet('getStaleDevicePolicy', 'Get the stale-device policy'), response: { 200: stalePolicyReply, ...errorReplies() } } },
    () => currentStalePolicy(deps.store),
  );
  api.put(
    '/api/v1/settings/stale-devices',
    {
      schema: {
        ...fleet('setStaleDevicePolicy', 'Set the stale-device policy: when a device is stale, and what maintenance does to it'),
        body: stalePolicyBody,
        response: { 200: { ...stalePolicyReply, description: 'The policy as set' }, ...errorReplies(400, 413, 415) },
      },
    },
    (request) => setStalePolicy(deps.store, request.body, actorOf(request)),
  );
}
