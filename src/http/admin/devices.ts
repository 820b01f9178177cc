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
import { commandListQuery, deviceListQuery, fleetSummaryQuery, planViewQuery, stalePolicyBody, stalePolicySchema, traceViewQuery } from './device-schemas.js';
import type { AdminApi } from './schema-types.js';
import { commandBody, deviceCommandParams, errorSchema, idParams, revokeBody, revokeResponse } from './schemas.js';

const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema };

export function deviceRoutes(
  api: AdminApi,
  deps: { store: Store; devices: DeviceService; commands: DeviceCommandService; revocation: DeviceRevocationService; profileStatus: ProfileStatusService },
): void {
  api.get(
    '/api/v1/devices',
    { schema: { tags: ['devices'], querystring: deviceListQuery, response: { 400: errorSchema, 401: errorSchema } } },
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
  api.get('/api/v1/devices/:id', { schema: { tags: ['devices'], params: idParams, response: { ...errors } } }, (request) =>
    deps.devices.get(request.params.id),
  );
  // Deletes the record after revoking its certificates; what went with it is audited and answered.
  api.delete('/api/v1/devices/:id', { schema: { tags: ['devices'], params: idParams, response: { ...errors } } }, (request) =>
    deps.devices.remove(request.params.id, actorOf(request)),
  );

  api.get('/api/v1/devices/:id/plan', { schema: { tags: ['devices'], params: idParams, querystring: planViewQuery, response: { ...errors } } }, (request) =>
    deps.profileStatus.plan(request.params.id, request.query.user),
  );

  api.post(
    '/api/v1/devices/:id/revoke',
    {
      schema: { tags: ['devices'], params: idParams, body: revokeBody, response: { 200: revokeResponse, 202: revokeResponse, ...errors } },
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
    { schema: { tags: ['devices'], params: idParams, body: commandBody, response: { ...errors } } },
    // The schema checks two levels of commands; deeper ones are plain objects to it, and
    // payloadFromInput checks every level, so the body is handed on as a QueueInput.
    async (request, reply) => reply.code(201).send(await deps.commands.queue(request.params.id, request.body as QueueInput, actorOf(request))),
  );
  api.get(
    '/api/v1/devices/:id/commands',
    { schema: { tags: ['devices'], params: idParams, querystring: commandListQuery, response: { ...errors } } },
    (request) => deps.commands.list(request.params.id, request.query.limit, request.query.offset),
  );
  api.delete(
    '/api/v1/devices/:id/commands/:commandId',
    { schema: { tags: ['devices'], params: deviceCommandParams, response: { ...errors } } },
    async (request, reply) => {
      await deps.commands.cancel(request.params.id, request.params.commandId, actorOf(request));
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/devices/:id/sessions',
    { schema: { tags: ['devices'], params: idParams, querystring: traceViewQuery, response: { ...errors } } },
    async (request) => {
      const traces = await deps.commands.traces(request.params.id, request.query.limit, request.query.session);
      return request.query.pretty ? prettyTraces(traces) : traces;
    },
  );

  api.get('/api/v1/fleet/summary', { schema: { tags: ['fleet'], querystring: fleetSummaryQuery, response: { 400: errorSchema, 401: errorSchema } } }, () =>
    fleetSummary(deps.store),
  );
  api.get('/api/v1/settings/stale-devices', { schema: { tags: ['fleet'], response: { 200: stalePolicySchema, 401: errorSchema } } }, () =>
    currentStalePolicy(deps.store),
  );
  api.put(
    '/api/v1/settings/stale-devices',
    { schema: { tags: ['fleet'], body: stalePolicyBody, response: { 200: stalePolicySchema, ...errors } } },
    (request) => setStalePolicy(deps.store, request.body, actorOf(request)),
  );
}
