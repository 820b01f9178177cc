// The Entra groups a tenant's profiles target (issue #14): the watched groups with their last sync
// and error, and a sync on demand (the tenant's groups, or one of them), audited with who asked.
import type { EntraGroupService } from '../../service/entra/groups.js';
import { actorOf } from './auth.js';
import { errorReplies } from './openapi-replies.js';
import type { AdminApi } from './schema-types.js';
import { tenantIdParams } from './schemas.js';

const tag = (operationId: string, summary: string) => ({ operationId, summary, tags: ['tenants'] });
const str = { type: 'string' } as const;
const nullableInstant = { type: 'string', format: 'date-time' } as const;

const entraGroupReply = {
  type: 'object',
  description: 'A watched Entra group (a profile is assigned to it): its membership is synced from Microsoft Graph',
  required: ['id', 'tenantId', 'nested', 'memberCount', 'createdAt'],
  properties: {
    id: { type: 'string', description: 'The group object ID (lower case)' },
    tenantId: str,
    displayName: str,
    kind: { type: 'string', enum: ['user', 'device', 'mixed', 'empty'], description: 'What its members were at the last sync' },
    nested: { type: 'boolean', description: 'It holds other groups: read transitively in full at each sync' },
    memberCount: { type: 'integer' },
    lastSyncAt: nullableInstant,
    lastError: { type: 'string', description: 'Why the last sync failed (cleared by the next one that succeeds)' },
    lastErrorAt: nullableInstant,
    createdAt: nullableInstant,
  },
} as const;

const syncBody = {
  type: 'object',
  additionalProperties: false,
  properties: { groupId: { type: 'string', maxLength: 64, description: 'Only this watched group (else every watched group of the tenant)' } },
} as const;

const syncReply = {
  type: 'object',
  required: ['results'],
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['groupId', 'mode', 'added', 'removed'],
        properties: {
          groupId: str,
          mode: { type: 'string', enum: ['full', 'delta'], description: 'Read in full, or a delta round from the stored delta link' },
          added: { type: 'integer' },
          removed: { type: 'integer' },
          error: str,
        },
      },
    },
  },
} as const;

export function entraGroupRoutes(api: AdminApi, deps: { entraGroups: EntraGroupService }): void {
  api.get(
    '/api/v1/tenants/:tenantId/groups',
    {
      schema: {
        ...tag('listTenantEntraGroups', "The tenant's watched Entra groups, with their last sync and error"),
        params: tenantIdParams,
        response: { 200: { type: 'array', items: entraGroupReply }, ...errorReplies(404) },
      },
    },
    (request) => deps.entraGroups.list(request.params.tenantId),
  );
  api.post(
    '/api/v1/tenants/:tenantId/groups/sync',
    {
      schema: {
        ...tag('syncTenantEntraGroups', "Sync the tenant's watched Entra groups (or one) from Microsoft Graph now"),
        params: tenantIdParams,
        body: syncBody,
        response: { 200: { ...syncReply, description: 'Each group synced, or why not' }, ...errorReplies(400, 404, 413, 415) },
      },
    },
    async (request) => ({ results: await deps.entraGroups.syncNow(request.params.tenantId, actorOf(request), request.body?.groupId) }),
  );
}
