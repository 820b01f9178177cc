// Admin API: profiles, their assignments, and groups.
import type { FastifyInstance } from 'fastify';
import type { GroupService, ProfileInput, ProfileService } from '../../service/profiles.js';
import type { ProfileStatusService } from '../../service/reconcile/status.js';
import { actorOf } from './auth.js';
import { assignmentBody, errorSchema, groupBody, idParams, memberParams, membersBody, profileCreateBody, profilePatchBody } from './schemas.js';

const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema };

export function profileRoutes(api: FastifyInstance, deps: { profiles: ProfileService; groups: GroupService; profileStatus: ProfileStatusService }): void {
  const { profiles, groups } = deps;
  api.get<{ Params: { id: string } }>('/api/v1/profiles/:id/status', { schema: { tags: ['profiles'], params: idParams, response: { ...errors } } }, (request) =>
    deps.profileStatus.forProfile(request.params.id),
  );
  api.get('/api/v1/profiles', { schema: { tags: ['profiles'] } }, () => profiles.list());
  api.post<{ Body: ProfileInput }>('/api/v1/profiles', { schema: { tags: ['profiles'], body: profileCreateBody, response: { ...errors } } }, async (request, reply) =>
    reply.code(201).send(await profiles.create(request.body, actorOf(request))),
  );
  api.get<{ Params: { id: string } }>('/api/v1/profiles/:id', { schema: { tags: ['profiles'], params: idParams, response: { ...errors } } }, (request) =>
    profiles.get(request.params.id),
  );
  api.patch<{ Params: { id: string }; Body: { name?: string; settings?: Record<string, unknown> } }>(
    '/api/v1/profiles/:id',
    { schema: { tags: ['profiles'], params: idParams, body: profilePatchBody, response: { ...errors } } },
    (request) => profiles.change(request.params.id, request.body, actorOf(request)),
  );
  api.delete<{ Params: { id: string } }>('/api/v1/profiles/:id', { schema: { tags: ['profiles'], params: idParams, response: { ...errors } } }, async (request, reply) => {
    await profiles.remove(request.params.id, actorOf(request));
    return reply.code(204).send();
  });
  api.post<{ Params: { id: string }; Body: { targetType: string; targetId?: string } }>(
    '/api/v1/profiles/:id/assignments',
    { schema: { tags: ['profiles'], params: idParams, body: assignmentBody, response: { ...errors } } },
    async (request, reply) => reply.code(201).send(await profiles.assign(request.params.id, request.body, actorOf(request))),
  );
  api.delete<{ Params: { id: string }; Body: { targetType: string; targetId?: string } }>(
    '/api/v1/profiles/:id/assignments',
    { schema: { tags: ['profiles'], params: idParams, body: assignmentBody, response: { ...errors } } },
    async (request, reply) => {
      await profiles.unassign(request.params.id, request.body, actorOf(request));
      return reply.code(204).send();
    },
  );

  api.get('/api/v1/groups', { schema: { tags: ['groups'] } }, () => groups.list());
  api.post<{ Body: { name: string; kind: string; members?: string[] } }>('/api/v1/groups', { schema: { tags: ['groups'], body: groupBody, response: { ...errors } } }, async (request, reply) =>
    reply.code(201).send(await groups.create(request.body, actorOf(request))),
  );
  api.get<{ Params: { id: string } }>('/api/v1/groups/:id', { schema: { tags: ['groups'], params: idParams, response: { ...errors } } }, (request) => groups.get(request.params.id));
  api.delete<{ Params: { id: string } }>('/api/v1/groups/:id', { schema: { tags: ['groups'], params: idParams, response: { ...errors } } }, async (request, reply) => {
    await groups.remove(request.params.id, actorOf(request));
    return reply.code(204).send();
  });
  api.post<{ Params: { id: string }; Body: { members: string[] } }>(
    '/api/v1/groups/:id/members',
    { schema: { tags: ['groups'], params: idParams, body: membersBody, response: { ...errors } } },
    (request) => groups.addMembers(request.params.id, request.body.members, actorOf(request)),
  );
  api.delete<{ Params: { id: string; member: string } }>(
    '/api/v1/groups/:id/members/:member',
    { schema: { tags: ['groups'], params: memberParams, response: { ...errors } } },
    async (request, reply) => {
      await groups.removeMember(request.params.id, request.params.member, actorOf(request));
      return reply.code(204).send();
    },
  );
}
