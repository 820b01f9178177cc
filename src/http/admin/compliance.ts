// Admin API: compliance policies, their assignments, and a device's compliance (issue #14).
// Bodies and replies are described here (they document the OpenAPI operations and serialize the replies).
import type { CompliancePolicyService } from '../../service/compliance/policies.js';
import type { DeviceComplianceView } from '../../service/compliance/view.js';
import { actorOf } from './auth.js';
import type { AdminApi } from './schema-types.js';
import { idParams } from './schemas.js';
import { errorReplies, noContent } from './openapi-replies.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const instant = { type: 'string', description: 'ISO 8601 instant' } as const;

const rules = {
  type: 'object',
  additionalProperties: false,
  description: 'What the policy requires; a rule left out is not checked. A node the device does not report makes a rule unknown, never noncompliant.',
  properties: {
    minOsBuild: { type: 'string', maxLength: 32, description: 'Lowest OS build (DevDetail/SwV), dotted: 10.0.22631 or 10.0.22631.2861' },
    bitLocker: { type: 'boolean', description: 'OS drive encrypted (DeviceStatus/Compliance/EncryptionCompliance)' },
    antivirus: { type: 'boolean', description: 'An antivirus on and monitoring (DeviceStatus/Antivirus/Status)' },
    antivirusSignatures: { type: 'boolean', description: 'Antivirus signatures up to date (DeviceStatus/Antivirus/SignatureStatus)' },
    firewall: { type: 'boolean', description: 'Firewall on and monitoring (DeviceStatus/Firewall/Status)' },
    secureBoot: { type: 'boolean', description: 'Secure Boot enabled (DeviceStatus/SecureBootState)' },
    minTpmVersion: { type: 'string', maxLength: 16, description: 'Lowest TPM specification version (DeviceStatus/TPM/SpecificationVersion), such as 2.0' },
    windowsHello: {
      type: 'boolean',
      description: "Windows Hello for Business required by policy for the device's tenant (PassportForWork UsePassportForWork)",
    },
    maxDaysSinceCheckIn: { type: 'integer', minimum: 1, maximum: 3650, description: 'Last check-in no older than this many days' },
  },
} as const;

const graceHours = { type: 'integer', minimum: 0, maximum: 8760, description: 'Hours a failing device stays inGracePeriod before it is noncompliant' } as const;

const policyCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'rules'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, rules, graceHours },
} as const;

const policyPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, rules, graceHours },
} as const;

const assignmentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['targetType'],
  properties: {
    targetType: { type: 'string', enum: ['all', 'device', 'group', 'user', 'entraGroup'] },
    targetId: {
      type: 'string',
      maxLength: 256,
      description: 'Device id or DeviceID, local group id, primary user (Entra oid or UPN), Entra group object ID; omitted for all',
    },
    tenantId: { type: 'string', maxLength: 64, description: "An Entra group's tenant, when more than one tenant has application credentials" },
  },
} as const;

const policyProps = { id: str, name: str, rules, graceHours, version: int, createdAt: instant, updatedAt: instant } as const;
const policyRequired = ['id', 'name', 'rules', 'graceHours', 'version', 'createdAt', 'updatedAt'] as const;
const policyReply = { type: 'object', description: 'A compliance policy', required: policyRequired, properties: policyProps } as const;
const assignmentReply = {
  type: 'object',
  description: 'An assignment',
  required: ['policyId', 'targetType', 'targetId', 'createdAt'],
  properties: { policyId: str, targetType: str, targetId: str, createdAt: instant },
} as const;
const policyDetail = {
  type: 'object',
  description: 'A compliance policy and its assignments',
  required: [...policyRequired, 'assignments'],
  properties: { ...policyProps, assignments: { type: 'array', items: assignmentReply } },
} as const;
const policyList = {
  type: 'object',
  description: 'The compliance policies',
  required: ['policies'],
  properties: { policies: { type: 'array', items: policyReply } },
} as const;

const deviceComplianceReply = {
  type: 'object',
  description: "A device's compliance: its state, why, and how the last report to Entra went",
  required: ['deviceId', 'state', 'reasons', 'policies'],
  properties: {
    deviceId: { ...str, description: 'Our id of the device' },
    state: { type: 'string', enum: ['compliant', 'noncompliant', 'inGracePeriod', 'unknown'] },
    reasons: {
      type: 'array',
      items: {
        type: 'object',
        required: ['policyId', 'rule', 'outcome', 'expected'],
        properties: { policyId: str, rule: str, outcome: { type: 'string', enum: ['fail', 'unknown'] }, expected: str, actual: str },
      },
    },
    policies: { type: 'array', items: str, description: 'The policies evaluated, id@version' },
    evaluatedAt: instant,
    noncompliantSince: instant,
    reportedCompliant: { ...bool, description: 'The isCompliant value last queued for Entra' },
    reporting: {
      type: 'object',
      description: "The device's newest report to Entra (Microsoft Graph)",
      required: ['state', 'at'],
      properties: { state: { type: 'string', enum: ['pending', 'sent', 'superseded', 'refused', 'failed'] }, isCompliant: bool, error: str, at: instant },
    },
  },
} as const;

const tag = (operationId: string, summary: string) => ({ operationId, summary, tags: ['compliance'] });

export function complianceRoutes(api: AdminApi, deps: { policies: CompliancePolicyService; view: DeviceComplianceView }): void {
  const { policies } = deps;
  api.get(
    '/api/v1/compliance-policies',
    { schema: { ...tag('listCompliancePolicies', 'List the compliance policies'), response: { 200: policyList, ...errorReplies() } } },
    async () => ({
      policies: await policies.list(),
    }),
  );
  api.post(
    '/api/v1/compliance-policies',
    {
      schema: {
        ...tag('createCompliancePolicy', 'Create a compliance policy'),
        body: policyCreateBody,
        response: { 201: { ...policyReply, description: 'Created' }, ...errorReplies(400, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await policies.create(request.body, actorOf(request))),
  );
  api.get(
    '/api/v1/compliance-policies/:id',
    {
      schema: {
        ...tag('getCompliancePolicy', 'Get a compliance policy and its assignments'),
        params: idParams,
        response: { 200: policyDetail, ...errorReplies(400, 404) },
      },
    },
    (request) => policies.get(request.params.id),
  );
  api.patch(
    '/api/v1/compliance-policies/:id',
    {
      schema: {
        ...tag('updateCompliancePolicy', 'Rename a compliance policy, replace its rules or grace period (a new version)'),
        params: idParams,
        body: policyPatchBody,
        response: { 200: { ...policyReply, description: 'The policy as changed' }, ...errorReplies(400, 404, 413, 415) },
      },
    },
    (request) => policies.change(request.params.id, request.body, actorOf(request)),
  );
  api.delete(
    '/api/v1/compliance-policies/:id',
    {
      schema: {
        ...tag('deleteCompliancePolicy', 'Delete a compliance policy and its assignments'),
        params: idParams,
        response: { 204: noContent('Deleted'), ...errorReplies(400, 404) },
      },
    },
    async (request, reply) => {
      await policies.remove(request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );
  api.post(
    '/api/v1/compliance-policies/:id/assignments',
    {
      schema: {
        ...tag('assignCompliancePolicy', 'Assign a compliance policy to all devices, a device, a local group or a primary user'),
        params: idParams,
        body: assignmentBody,
        response: { 201: { ...assignmentReply, description: 'Assigned' }, ...errorReplies(400, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await policies.assign(request.params.id, request.body, actorOf(request))),
  );
  api.delete(
    '/api/v1/compliance-policies/:id/assignments',
    {
      schema: {
        ...tag('unassignCompliancePolicy', 'Remove an assignment (the body names it as when it was made)'),
        params: idParams,
        body: assignmentBody,
        response: { 204: noContent('Removed'), ...errorReplies(400, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      await policies.unassign(request.params.id, request.body, actorOf(request));
      return reply.code(204).send();
    },
  );
  api.get(
    '/api/v1/devices/:id/compliance',
    {
      schema: {
        ...tag('getDeviceCompliance', "A device's compliance state and reasons (by id or DeviceID), evaluated again if policies changed"),
        params: idParams,
        response: { 200: deviceComplianceReply, ...errorReplies(400, 404) },
      },
    },
    (request) => deps.view.forDevice(request.params.id),
  );
}
