// Admin API: profiles, their assignments, and groups.
import type { GroupService, ProfileService } from '../../service/profiles.js';
import type { ProfileStatusService } from '../../service/reconcile/status.js';
import { actorOf } from './auth.js';
import type { AdminApi } from './schema-types.js';
import { assignmentBody, forceQuery, groupBody, idParams, memberParams, membersBody, profileCreateBody, profilePatchBody } from './schemas.js';
import {
  assignmentReply,
  errorReplies,
  groupList,
  groupReply,
  noContent,
  profileDetail,
  profileList,
  profileReply,
  profileStatusReply,
} from './openapi-replies.js';

// The profile bodies and replies below type `settings` as a plain object (validated per kind by
// the profile service); the OpenAPI document types them per kind (openapi.ts, by operationId).
const profile = (operationId: string, summary: string) => ({ operationId, summary, tags: ['profiles'] });
const group = (operationId: string, summary: string) => ({ operationId, summary, tags: ['groups'] });

export function profileRoutes(api: AdminApi, deps: { profiles: ProfileService; groups: GroupService; profileStatus: ProfileStatusService }): void {
  const { profiles, groups } = deps;
  api.get(
    '/api/v1/profiles/:id/status',
    {
      schema: {
        ...profile('getProfileStatus', 'Where a profile stands over the fleet: deliveries by status, failures, holds'),
        params: idParams,
        response: { 200: profileStatusReply, ...errorReplies(400, 404) },
      },
    },
    (request) => deps.profileStatus.forProfile(request.params.id),
  );
  api.get('/api/v1/profiles', { schema: { ...profile('listProfiles', 'List the profiles'), response: { 200: profileList, ...errorReplies() } } }, () =>
    profiles.list(),
  );
  api.post(
    '/api/v1/profiles',
    {
      schema: {
        ...profile('createProfile', 'Create a profile; its settings are checked against its kind'),
        body: profileCreateBody,
        response: { 201: { ...profileReply, description: 'Created' }, ...errorReplies(400, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await profiles.create(request.body, actorOf(request))),
  );
  api.get(
    '/api/v1/profiles/:id',
    {
      schema: { ...profile('getProfile', 'Get a profile and its assignments'), params: idParams, response: { 200: profileDetail, ...errorReplies(400, 404) } },
    },
    (request) => profiles.get(request.params.id),
  );
  api.patch(
    '/api/v1/profiles/:id',
    {
      schema: {
        ...profile('updateProfile', 'Rename a profile or replace its settings (a new version)'),
        params: idParams,
        body: profilePatchBody,
        response: { 200: { ...profileReply, description: 'The profile as changed' }, ...errorReplies(400, 404, 409, 413, 415) },
      },
    },
    (request) => profiles.change(request.params.id, request.body, actorOf(request)),
  );
  api.delete(
    '/api/v1/profiles/:id',
    {
      schema: {
        ...profile('deleteProfile', 'Delete a profile (force=true: even though others depend on it)'),
        params: idParams,
        querystring: forceQuery,
        response: { 204: noContent('Deleted'), ...errorReplies(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await profiles.remove(request.params.id, actorOf(request), request.query.force);
      return reply.code(204).send();
    },
  );
  api.post(
    '/api/v1/profiles/:id/assignments',
    {
      schema: {
        ...profile('assignProfile', 'Assign a profile to a user, a group, a device or all'),
        params: idParams,
        body: assignmentBody,
        response: { 201: { ...assignmentReply, description: 'Assigned' }, ...errorReplies(400, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await profiles.assign(request.params.id, request.body, actorOf(request))),
  );
  api.delete(
    '/api/v1/profiles/:id/assignments',
    {
      schema: {
        ...profile('unassignProfile', 'Remove an assignment (the body names it as when it was made)'),
        params: idParams,
        body: assignmentBody,
        response: { 204: noContent('Removed'), ...errorReplies(400, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      await profiles.unassign(request.params.id, request.body, actorOf(request));
      return reply.code(204).send();
    },
  );

  api.get('/api/v1/groups', { schema: { ...group('listGroups', 'List the groups'), response: { 200: groupList, ...errorReplies() } } }, () => groups.list());
  api.post(
    '/api/v1/groups',
    {
      schema: {
        ...group('createGroup', 'Create a user or device group, with members'),
        body: groupBody,
        response: { 201: { ...groupReply, description: 'Created' }, ...errorReplies(400, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await groups.create(request.body, actorOf(request))),
  );
  api.get(
    '/api/v1/groups/:id',
    { schema: { ...group('getGroup', 'Get a group and its members'), params: idParams, response: { 200: groupReply, ...errorReplies(400, 404) } } },
    (request) => groups.get(request.params.id),
  );
  api.delete(
    '/api/v1/groups/:id',
    {
      schema: {
        ...group('deleteGroup', 'Delete a group (force=true: with its assignments)'),
        params: idParams,
        querystring: forceQuery,
        response: { 204: noContent('Deleted'), ...errorReplies(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await groups.remove(request.params.id, actorOf(request), request.query.force);
      return reply.code(204).send();
    },
  );
  api.post(
    '/api/v1/groups/:id/members',
    {
      schema: {
        ...group('addGroupMembers', 'Add members to a group'),
        params: idParams,
        body: membersBody,
        response: { 200: { ...groupReply, description: 'The group and all its members' }, ...errorReplies(400, 404, 413, 415) },
      },
    },
    (request) => groups.addMembers(request.params.id, request.body.members, actorOf(request)),
  );
  api.delete(
    '/api/v1/groups/:id/members/:member',
    {
      schema: {
        ...group('removeGroupMember', 'Remove a member from a group'),
        params: memberParams,
        response: { 204: noContent('Removed'), ...errorReplies(400, 404) },
      },
    },
    async (request, reply) => {
      await groups.removeMember(request.params.id, request.params.member, actorOf(request));
      return reply.code(204).send();
    },
  );
}
