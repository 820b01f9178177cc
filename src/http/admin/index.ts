// The admin REST API under /api/v1: bearer-token auth, JSON in and out, OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { DeviceService } from '../../service/devices.js';
import type { DeviceRevocationService } from '../../service/device-revocation.js';
import type { DeviceCommandService } from '../../service/management/device-commands.js';
import type { GroupService, ProfileService } from '../../service/profiles.js';
import type { ProfileStatusService } from '../../service/reconcile/status.js';
import { deviceRoutes } from './devices.js';
import { pushRoutes } from './push.js';
import { pushSettingsRoutes } from './push-settings.js';
import { brandingRoutes } from './branding.js';
import type { PushSettingsAdmin } from '../../service/push/settings-admin.js';
import type { PushAdmin } from '../../service/push/admin.js';
import { profileRoutes } from './profiles.js';
import { appRoutes } from './apps.js';
import type { AppCatalog } from '../../service/apps/catalog.js';
import { complianceRoutes } from './compliance.js';
import { espRoutes } from './esp.js';
import { EspPolicyService } from '../../service/esp/policies.js';
import { DayZeroView } from '../../service/esp/timeline.js';
import type { CompliancePolicyService } from '../../service/compliance/policies.js';
import type { DeviceComplianceView } from '../../service/compliance/view.js';
import { scheduleRoutes } from './schedule.js';
import type { EnrollmentAccountService } from '../../service/enrollment-accounts.js';
import type { TenantService } from '../../service/tenants.js';
import type { Store } from '../../store/types.js';
import { actorOf, adminAuthHook, csrfHook } from './auth.js';
import { adminsRoutes } from './admins.js';
import { requireCapabilities } from './permissions.js';
import type { AdminService } from '../../service/admins/service.js';
import { bodyLimitFor } from './body-limit.js';
import { jsonBodyParser } from '../json-body.js';
import { openApiDocument } from './openapi.js';
import type { AdminApi } from './schema-types.js';
import { invalid } from '../../service/errors.js';
import { tenantEntraRoutes } from './tenant-entra.js';
import { entraGroupRoutes } from './entra-groups.js';
import type { EntraGroupService } from '../../service/entra/groups.js';
import { accountCreateBody, auditQuery, idParams, tenantDeleteQuery, tenantCreateBody, tenantIdParams, tenantPatchBody } from './schemas.js';
import { auditReply, enrollmentAccount, enrollmentAccountList, errorReplies, noContent, tenantList, tenantReply } from './openapi-replies.js';

export interface AdminDeps {
  adminToken: string;
  store: Store;
  tenants: TenantService;
  accounts: EnrollmentAccountService;
  devices: DeviceService;
  commands: DeviceCommandService;
  revocation: DeviceRevocationService;
  profiles: ProfileService;
  groups: GroupService;
  /** Entra groups as assignment targets (issue #14). */
  entraGroups: EntraGroupService;
  profileStatus: ProfileStatusService;
  push: PushAdmin;
  /** Administrators, their sessions and API tokens (issue #13). */
  admins: AdminService;
  pushSettings: PushSettingsAdmin;
  /** The app catalog (issue #15). */
  apps: AppCatalog;
  /** Compliance policies and each device's compliance (issue #14). */
  compliancePolicies: CompliancePolicyService;
  deviceCompliance: DeviceComplianceView;
  /** For the OpenAPI document's `servers`. */
  publicUrl: string;
  /** This listener serves the admin API alone (FENESTRA_ADMIN_LISTEN). */
  adminListenerOnly?: boolean;
}

/** An ISO 8601 date or instant of the query as UTC (the log's times compare as text); 400 naming the parameter otherwise. */
function instantOf(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t))
    throw invalid(`/${name}`, `${name} is an ISO 8601 date or date-time (2026-01-31 or 2026-01-31T08:00:00Z)`);
  return new Date(t).toISOString();
}

export async function adminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  await openApiDocument(app, { publicUrl: deps.publicUrl, ownListener: deps.adminListenerOnly });

  await app.register(async (plain) => {
    // Request bodies, parameters and query strings are typed from the route schemas that validate them.
    const api: AdminApi = plain.withTypeProvider();
    // Who is calling (principal.ts), the CSRF token of a console session's changes, and the
    // capability each route needs (permissions.ts: a route missing from its table fails the start).
    api.addHook('onRequest', adminAuthHook());
    api.addHook('preValidation', csrfHook());
    requireCapabilities(api);
    // Each route takes the largest body its schema admits (body-limit.ts), not one limit for all.
    api.addHook('onRoute', (route) => {
      if (route.bodyLimit === undefined && route.schema?.body) route.bodyLimit = bodyLimitFor(route.schema.body);
    });
    jsonBodyParser(api);
    const tenant = (operationId: string, summary: string) => ({ operationId, summary, tags: ['tenants'] });
    const account = (operationId: string, summary: string) => ({ operationId, summary, tags: ['enrollment accounts'] });

    api.get('/api/v1/tenants', { schema: { ...tenant('listTenants', 'List the connected tenants'), response: { 200: tenantList, ...errorReplies() } } }, () =>
      deps.tenants.list(),
    );
    api.post(
      '/api/v1/tenants',
      {
        schema: {
          ...tenant('connectTenant', 'Connect an Entra tenant'),
          body: tenantCreateBody,
          response: { 201: { ...tenantReply, description: 'Connected' }, ...errorReplies(400, 409, 413, 415) },
        },
      },
      async (request, reply) => reply.code(201).send(await deps.tenants.connect(request.body, actorOf(request))),
    );
    api.get(
      '/api/v1/tenants/:tenantId',
      {
        schema: {
          ...tenant('getTenant', 'Get a tenant'),
          params: tenantIdParams,
          response: { 200: { ...tenantReply, description: 'The tenant' }, ...errorReplies(400, 404) },
        },
      },
      (request) => deps.tenants.get(request.params.tenantId),
    );
    api.patch(
      '/api/v1/tenants/:tenantId',
      {
        schema: {
          ...tenant('updateTenant', "Change a tenant's cloud, audiences or URLs"),
          params: tenantIdParams,
          body: tenantPatchBody,
          response: { 200: { ...tenantReply, description: 'The tenant as changed' }, ...errorReplies(400, 404, 413, 415) },
        },
      },
      (request) => deps.tenants.change(request.params.tenantId, request.body, actorOf(request)),
    );
    // Disconnecting refuses new enrollments and user tokens of the tenant; its enrolled devices
    // stay managed by certificate unless revokeDevices=true revokes them too.
    api.delete(
      '/api/v1/tenants/:tenantId',
      {
        schema: {
          ...tenant('disconnectTenant', 'Disconnect a tenant (revokeDevices=true: and revoke its devices)'),
          params: tenantIdParams,
          querystring: tenantDeleteQuery,
          response: { 204: noContent('Disconnected'), ...errorReplies(400, 404) },
        },
      },
      async (request, reply) => {
        await deps.tenants.disconnect(request.params.tenantId, actorOf(request));
        if (request.query.revokeDevices) await deps.revocation.revokeTenantDevices(request.params.tenantId.toLowerCase(), actorOf(request));
        return reply.code(204).send();
      },
    );

    api.get(
      '/api/v1/enrollment-accounts',
      {
        schema: {
          ...account('listEnrollmentAccounts', 'List the on-premises enrollment accounts'),
          response: { 200: enrollmentAccountList, ...errorReplies() },
        },
      },
      () => deps.accounts.list(),
    );
    api.post(
      '/api/v1/enrollment-accounts',
      {
        schema: {
          ...account('createEnrollmentAccount', 'Create an on-premises enrollment account'),
          body: accountCreateBody,
          response: { 201: { ...enrollmentAccount, description: 'Created' }, ...errorReplies(400, 409, 413, 415) },
        },
      },
      async (request, reply) => reply.code(201).send(await deps.accounts.create(request.body.username, request.body.password, actorOf(request))),
    );
    api.delete(
      '/api/v1/enrollment-accounts/:id',
      {
        schema: {
          ...account('deleteEnrollmentAccount', 'Delete an enrollment account (by username)'),
          params: idParams,
          response: { 204: noContent('Deleted'), ...errorReplies(400, 404) },
        },
      },
      async (request, reply) => {
        await deps.accounts.remove(request.params.id, actorOf(request));
        return reply.code(204).send();
      },
    );

    deviceRoutes(api, deps);
    pushRoutes(api, deps);
    tenantEntraRoutes(api, deps);
    entraGroupRoutes(api, deps);
    pushSettingsRoutes(api, deps);
    brandingRoutes(api, deps);
    profileRoutes(api, deps);
    appRoutes(api, deps);
    complianceRoutes(api, { policies: deps.compliancePolicies, view: deps.deviceCompliance });
    espRoutes(api, { espPolicies: new EspPolicyService(deps.store), dayZero: new DayZeroView(deps.store) });
    scheduleRoutes(api, deps);
    adminsRoutes(api, deps);

    api.get(
      '/api/v1/audit',
      {
        schema: {
          operationId: 'listAuditEntries',
          summary: 'Read the audit log, newest first',
          tags: ['audit'],
          querystring: auditQuery,
          response: { 200: auditReply, ...errorReplies(400) },
        },
      },
      async (request) => {
        const { limit, before, actor, action, targetType, targetId, from, to } = request.query;
        return {
          entries: await deps.store.audit.list({
            limit,
            beforeId: before,
            actor,
            action,
            targetType,
            targetId,
            from: instantOf(from, 'from'),
            to: instantOf(to, 'to'),
          }),
        };
      },
    );
  });
}
