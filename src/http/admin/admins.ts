// Admin API: who am I, administrators (owner), personal API tokens (everyone's own; anyone's for
// the owner). The capability of each route is in permissions.ts; the service checks ownership.
import type { AdminService } from '../../service/admins/service.js';
import { actorOf } from './auth.js';
import {
  adminCreateBody,
  adminErrors,
  adminIdParams,
  adminList,
  adminPatchBody,
  adminReply,
  meReply,
  tokenCreateBody,
  tokenCreated,
  tokenList,
  tokenListQuery,
  tokenReply,
} from './admin-schemas.js';
import { noContent } from './openapi-replies.js';
import { principalOf } from './principal.js';
import type { AdminApi } from './schema-types.js';

export function adminsRoutes(api: AdminApi, deps: { admins: AdminService }): void {
  const { admins } = deps;
  const op = (operationId: string, summary: string, tag: string) => ({ operationId, summary, tags: [tag] });

  api.get(
    '/api/v1/me',
    { schema: { ...op('getMe', 'Who the caller is: name, role, how it authenticated', 'administrators'), response: { 200: meReply, ...adminErrors() } } },
    (request) => admins.me(principalOf(request)),
  );

  api.get(
    '/api/v1/admins',
    { schema: { ...op('listAdmins', 'List the administrators', 'administrators'), response: { 200: adminList, ...adminErrors() } } },
    () => admins.list(),
  );
  api.post(
    '/api/v1/admins',
    {
      schema: {
        ...op('createAdmin', 'Create an administrator (with a password, or none to sign in with Entra ID only)', 'administrators'),
        body: adminCreateBody,
        response: { 201: { ...adminReply, description: 'Created' }, ...adminErrors(400, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await admins.create(request.body, actorOf(request))),
  );
  api.get(
    '/api/v1/admins/:id',
    { schema: { ...op('getAdmin', 'Get an administrator', 'administrators'), params: adminIdParams, response: { 200: adminReply, ...adminErrors(400, 404) } } },
    (request) => admins.get(request.params.id),
  );
  api.patch(
    '/api/v1/admins/:id',
    {
      schema: {
        ...op('updateAdmin', "Change an administrator's display name, role, password, or disable it (the last enabled owner is refused)", 'administrators'),
        params: adminIdParams,
        body: adminPatchBody,
        response: { 200: { ...adminReply, description: 'The administrator as changed' }, ...adminErrors(400, 404, 409, 413, 415) },
      },
    },
    (request) => admins.update(request.params.id, request.body, actorOf(request)),
  );
  api.delete(
    '/api/v1/admins/:id',
    {
      schema: {
        ...op('deleteAdmin', 'Remove an administrator with its sessions and API tokens (not the last enabled owner)', 'administrators'),
        params: adminIdParams,
        response: { 204: noContent('Removed'), ...adminErrors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await admins.remove(request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );

  api.get(
    '/api/v1/tokens',
    {
      schema: {
        ...op('listTokens', "List the caller's API tokens (all=true or adminId: others', owner)", 'API tokens'),
        querystring: tokenListQuery,
        response: { 200: tokenList, ...adminErrors(400) },
      },
    },
    (request) => admins.listTokens(principalOf(request), request.query),
  );
  api.post(
    '/api/v1/tokens',
    {
      schema: {
        ...op('createToken', 'Create a personal API token (its secret is in this reply only)', 'API tokens'),
        body: tokenCreateBody,
        response: { 201: tokenCreated, ...adminErrors(400, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await admins.createToken(principalOf(request), request.body, actorOf(request))),
  );
  api.delete(
    '/api/v1/tokens/:id',
    {
      schema: {
        ...op('revokeToken', "Revoke an API token (one's own; anyone's: owner)", 'API tokens'),
        params: adminIdParams,
        response: { 200: { ...tokenReply, description: 'The token, revoked' }, ...adminErrors(400, 404, 409) },
      },
    },
    (request) => admins.revokeToken(principalOf(request), request.params.id, actorOf(request)),
  );
}
