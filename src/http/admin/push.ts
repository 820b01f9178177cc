// Admin API: wake a device through WNS push (service/push/admin.ts).
import type { PushAdmin } from '../../service/push/admin.js';
import { actorOf } from './auth.js';
import type { AdminApi } from './schema-types.js';
import { idParams } from './schemas.js';
import { errorReplies } from './openapi-replies.js';

const pushResponse = {
  type: 'object',
  description: 'The push is under way',
  required: ['id', 'deviceId', 'push', 'at'],
  properties: { id: { type: 'string' }, deviceId: { type: 'string' }, push: { type: 'string', enum: ['started'] }, at: { type: 'string' } },
} as const;

export function pushRoutes(api: AdminApi, deps: { push: PushAdmin }): void {
  api.post(
    '/api/v1/devices/:id/push',
    {
      schema: {
        operationId: 'pushDevice',
        tags: ['devices'],
        summary: 'Wake the device now through WNS push (202: the push is under way; its outcome shows in the device detail)',
        params: idParams,
        response: { 202: pushResponse, ...errorReplies(400, 404, 409) },
      },
    },
    async (request, reply) => reply.code(202).send(await deps.push.wake(request.params.id, actorOf(request))),
  );
}
