// A tenant's consent and validation steps (issue #14): the admin-consent URL for its cloud and
// application, and "validate", which checks the connection end to end and keeps the result.
import type { TenantService } from '../../service/tenants.js';
import { actorOf } from './auth.js';
import { errorReplies } from './openapi-replies.js';
import type { AdminApi } from './schema-types.js';
import { tenantConsentQuery, tenantIdParams, tenantValidationSchema } from './schemas.js';

const tag = (operationId: string, summary: string) => ({ operationId, summary, tags: ['tenants'] });

export function tenantEntraRoutes(api: AdminApi, deps: { tenants: TenantService }): void {
  api.get(
    '/api/v1/tenants/:tenantId/consent-url',
    {
      schema: {
        ...tag('getTenantConsentUrl', "The admin-consent URL for the tenant's cloud and application"),
        params: tenantIdParams,
        querystring: tenantConsentQuery,
        response: {
          200: {
            type: 'object',
            description: 'Open url as an administrator of the tenant and accept; Entra then returns to redirectUri',
            required: ['url', 'redirectUri'],
            properties: { url: { type: 'string' }, redirectUri: { type: 'string' } },
          },
          ...errorReplies(400, 404, 409),
        },
      },
    },
    (request) => deps.tenants.consentUrl(request.params.tenantId, request.query.redirectUri),
  );
  api.post(
    '/api/v1/tenants/:tenantId/validate',
    {
      schema: {
        ...tag('validateTenant', 'Check the connection: tenant, cloud, credential, consent, organization, Graph permissions'),
        params: tenantIdParams,
        response: { 200: { ...tenantValidationSchema }, ...errorReplies(400, 404) },
      },
    },
    (request) => deps.tenants.validate(request.params.tenantId, actorOf(request)),
  );
}
