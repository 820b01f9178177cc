// The capability each admin API route needs (service/admins/capabilities.ts), in one table keyed
// by `METHOD /api/v1/...` so that no route file has to change. A route missing from the table
// fails the start (requireCapabilities' onRoute hook): a new route cannot ship unguarded.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type Capability, can } from '../../service/admins/capabilities.js';
import { principalOf } from './principal.js';

type Rule = Capability | ((request: FastifyRequest) => Capability);

/** POST /devices/:id/commands: named actions by name; any raw SyncML command is devices.raw-command. */
function commandCapability(request: FastifyRequest): Capability {
  const body = request.body as { action?: unknown; verb?: unknown } | undefined;
  switch (body?.verb === undefined ? body?.action : undefined) {
    case 'sync':
      return 'devices.sync';
    case 'reboot':
      return 'devices.reboot';
    case 'wipe':
      return 'devices.wipe';
    case 'retire':
      return 'devices.retire';
    default:
      return 'devices.raw-command';
  }
}

export const ROUTE_CAPABILITIES: Record<string, Rule> = {
  'GET /api/v1/tenants': 'read',
  'POST /api/v1/tenants': 'tenants.write',
  'GET /api/v1/tenants/:tenantId': 'read',
  'PATCH /api/v1/tenants/:tenantId': 'tenants.write',
  'DELETE /api/v1/tenants/:tenantId': 'tenants.write',
  'GET /api/v1/tenants/:tenantId/consent-url': 'read',
  // Validation checks the connection end to end and keeps the result on the tenant.
  'POST /api/v1/tenants/:tenantId/validate': 'tenants.write',
  // The watched Entra groups (issue #14); a sync reads Graph now, as the timer would.
  'GET /api/v1/tenants/:tenantId/groups': 'read',
  'POST /api/v1/tenants/:tenantId/groups/sync': 'groups.write',

  'GET /api/v1/enrollment-accounts': 'enrollment-accounts.read',
  'POST /api/v1/enrollment-accounts': 'enrollment-accounts.write',
  'DELETE /api/v1/enrollment-accounts/:id': 'enrollment-accounts.write',

  'GET /api/v1/devices': 'read',
  'GET /api/v1/devices/:id': 'read',
  'DELETE /api/v1/devices/:id': 'devices.delete',
  'GET /api/v1/devices/:id/plan': 'devices.diagnose',
  'POST /api/v1/devices/:id/revoke': 'devices.revoke',
  'POST /api/v1/devices/:id/commands': commandCapability,
  'GET /api/v1/devices/:id/commands': 'read',
  'GET /api/v1/devices/:id/apps': 'read',
  'DELETE /api/v1/devices/:id/commands/:commandId': 'devices.cancel-command',
  'GET /api/v1/devices/:id/sessions': 'devices.diagnose',
  'POST /api/v1/devices/:id/push': 'devices.push',
  'GET /api/v1/fleet/summary': 'read',

  'GET /api/v1/settings/stale-devices': 'read',
  'PUT /api/v1/settings/stale-devices': 'settings.write',
  'GET /api/v1/settings/checkin-schedule': 'read',
  'PUT /api/v1/settings/checkin-schedule': 'settings.write',
  'GET /api/v1/settings/push': 'read',
  'PUT /api/v1/settings/push': 'settings.write',
  'DELETE /api/v1/settings/push': 'settings.write',
  'GET /api/v1/settings/branding': 'read',
  'PUT /api/v1/settings/branding': 'settings.write',

  'GET /api/v1/profiles': 'read',
  'POST /api/v1/profiles': 'profiles.write',
  'GET /api/v1/profiles/:id': 'read',
  'PATCH /api/v1/profiles/:id': 'profiles.write',
  'DELETE /api/v1/profiles/:id': 'profiles.write',
  'GET /api/v1/profiles/:id/status': 'read',
  'POST /api/v1/profiles/:id/assignments': 'profiles.write',
  'DELETE /api/v1/profiles/:id/assignments': 'profiles.write',

  // The app catalog (issue #15): read by all, changed and deployed as profiles are.
  'GET /api/v1/apps': 'read',
  'POST /api/v1/apps/packages': 'profiles.write',
  'POST /api/v1/apps/public': 'profiles.write',
  'POST /api/v1/apps/office': 'profiles.write',
  'GET /api/v1/apps/:id': 'read',
  'PATCH /api/v1/apps/:id': 'profiles.write',
  'DELETE /api/v1/apps/:id': 'profiles.write',
  'POST /api/v1/apps/:id/versions': 'profiles.write',
  'PUT /api/v1/apps/:id/live': 'profiles.write',
  'DELETE /api/v1/apps/:id/versions/:versionId': 'profiles.write',
  'POST /api/v1/apps/:id/assignments': 'profiles.write',
  'DELETE /api/v1/apps/:id/assignments': 'profiles.write',
  'GET /api/v1/apps/:id/status': 'read',

  // Compliance policies (issue #14): managed as profiles are.
  'GET /api/v1/compliance-policies': 'read',
  'POST /api/v1/compliance-policies': 'profiles.write',
  'GET /api/v1/compliance-policies/:id': 'read',
  'PATCH /api/v1/compliance-policies/:id': 'profiles.write',
  'DELETE /api/v1/compliance-policies/:id': 'profiles.write',
  'POST /api/v1/compliance-policies/:id/assignments': 'profiles.write',
  'DELETE /api/v1/compliance-policies/:id/assignments': 'profiles.write',
  'GET /api/v1/devices/:id/compliance': 'read',

  // Enrollment Status Page policies (issue #16): managed as profiles are.
  'GET /api/v1/esp-policies': 'read',
  'POST /api/v1/esp-policies': 'profiles.write',
  'GET /api/v1/esp-policies/:id': 'read',
  'PUT /api/v1/esp-policies/:id': 'profiles.write',
  'DELETE /api/v1/esp-policies/:id': 'profiles.write',
  'GET /api/v1/devices/:id/day-zero': 'read',
  'GET /api/v1/fleet/day-zero': 'read',

  'GET /api/v1/groups': 'read',
  'POST /api/v1/groups': 'groups.write',
  'GET /api/v1/groups/:id': 'read',
  'DELETE /api/v1/groups/:id': 'groups.write',
  'POST /api/v1/groups/:id/members': 'groups.write',
  'DELETE /api/v1/groups/:id/members/:member': 'groups.write',
  'PUT /api/v1/groups/:id/checkin-schedule': 'settings.write',
  'DELETE /api/v1/groups/:id/checkin-schedule': 'settings.write',

  'GET /api/v1/audit': 'audit.read',

  // Everyone sees who they are and manages their own API tokens (the service refuses others'
  // tokens without admins.manage).
  'GET /api/v1/me': 'read',
  'GET /api/v1/tokens': 'read',
  'POST /api/v1/tokens': 'read',
  'DELETE /api/v1/tokens/:id': 'read',
  'GET /api/v1/admins': 'admins.manage',
  'POST /api/v1/admins': 'admins.manage',
  'GET /api/v1/admins/:id': 'admins.manage',
  'PATCH /api/v1/admins/:id': 'admins.manage',
  'DELETE /api/v1/admins/:id': 'admins.manage',
};

const ruleFor = (method: string, url: string): Rule | undefined => ROUTE_CAPABILITIES[`${method === 'HEAD' ? 'GET' : method} ${url}`];

function guard(url: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const rule = ruleFor(request.method, url)!;
    const capability = typeof rule === 'function' ? rule(request) : rule;
    const principal = principalOf(request);
    if (can(principal, capability)) return;
    // Serialized here: a route's 403 schema (if any) must not drop `capability`.
    reply
      .code(403)
      .type('application/json; charset=utf-8')
      .serializer(JSON.stringify)
      .send({ error: { code: 'forbidden', message: `${principal.role} cannot ${capability}`, capability } });
    return reply;
  };
}

/**
 * On the admin API's plugin, before its routes: every /api/v1 route gets the preHandler that
 * checks its capability; a route not in ROUTE_CAPABILITIES throws here, which fails the start.
 */
export function requireCapabilities(api: FastifyInstance): void {
  api.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/v1')) return;
    for (const method of [route.method].flat()) {
      if (!ruleFor(method, route.url)) throw new Error(`admin route ${method} ${route.url} has no capability in src/http/admin/permissions.ts: add it there`);
    }
    route.preHandler = [guard(route.url), ...[route.preHandler ?? []].flat()];
  });
}
