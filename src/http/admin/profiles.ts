// Admin API: profiles, their assignments, and groups.
import type { GroupService, ProfileService } from '../../service/profiles.js';
import type { ProfileStatusService } from '../../service/reconcile/status.js';
import { actorOf } from './auth.js';
import type { AdminApi } from './schema-types.js';
import { assignmentBody, errorSchema, forceQuery, groupBody, idParams, memberParams, membersBody, profileCreateBody, profilePatchBody } from './schemas.js';

const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema };

export function profileRoutes(api: AdminApi, deps: { profiles: ProfileService; groups: GroupService; profileStatus: ProfileStatusService }): void {
  const { profiles, groups } = deps;
  api.get('/api/v1/profiles/:id/status', { schema: { tags: ['profiles'], params: idParams, response: { ...errors } } }, (request) =>
    deps.profileStatus.forProfile(request.params.id),
  );
  api.get('/api/v1/profiles', { schema: { tags: ['profiles'] } }, () => profiles.list());
  api.post('/api/v1/profiles', { schema: { tags: ['profiles'], body: profileCreateBody, response: { ...errors } } }, async (request, reply) =>
    reply.code(201).send(await profiles.create(request.body, actorOf(request))),
  );
  api.get('/api/v1/profiles/:id', { schema: { tags: ['profiles'], params: idParams, response: { ...errors } } }, (request) => profiles.get(request.params.id));
  api.patch('/api/v1/profiles/:id', { schema: { tags: ['profiles'], params: idParams, body: profilePatchBody, response: { ...errors } } }, (request) =>
    profiles.change(request.params.id, request.body, actorOf(request)),
  );
  api.delete(
    '/api/v1/profiles/:id',
    { schema: { tags: ['profiles'], params: idParams, querystring: forceQuery, response: { ...errors } } },
    async (request, reply) => {
      await profiles.remove(request.params.id, actorOf(request), request.query.force);
      return reply.code(204).send();
    },
  );
  api.post(
    '/api/v1/profiles/:id/assignments',
    { schema: { tags: ['profiles'], params: idParams, body: assignmentBody, response: { ...errors } } },
    async (request, reply) => reply.code(201).send(await profiles.assign(request.params.id, request.body, actorOf(request))),
  );
  api.delete(
    '/api/v1/profiles/:id/assignments',
    { schema: { tags: ['profiles'], params: idParams, body: assignmentBody, response: { ...errors } } },
    async (request, reply) => {
      await profiles.unassign(request.params.id, request.body, actorOf(request));
      return reply.code(204).send();
    },
  );

  api.get('/api/v1/groups', { schema: { tags: ['groups'] } }, () => groups.list());
  api.post('/api/v1/groups', { schema: { tags: ['groups'], body: groupBody, response: { ...errors } } }, async (request, reply) =>
    reply.code(201).send(await groups.create(request.body, actorOf(request))),
  );
  api.get('/api/v1/groups/:id', { schema: { tags: ['groups'], params: idParams, response: { ...errors } } }, (request) => groups.get(request.params.id));
  api.delete(
    '/api/v1/groups/:id',
    { schema: { tags: ['groups'], params: idParams, querystring: forceQuery, response: { ...errors } } },
    async (request, reply) => {
      await groups.remove(request.params.id, actorOf(request), request.query.force);
      return reply.code(204).send();
    },
  );
  api.post('/api/v1/groups/:id/members', { schema: { tags: ['groups'], params: idParams, body: membersBody, response: { ...errors } } }, (request) =>
    groups.addMembers(request.params.id, request.body.members, actorOf(request)),
  );
  api.delete('/api/v1/groups/:id/members/:member', { schema: { tags: ['groups'], params: memberParams, response: { ...errors } } }, async (request, reply) => {
    await groups.removeMember(request.params.id, request.params.member, actorOf(request));
    return reply.code(204).send();
  });
}
