// JSON schemas of the admin API: request validation (errors carry the JSON pointer) and the OpenAPI document.
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        pointer: { type: 'string', description: 'JSON pointer to the (first) offending field' },
        errors: {
          type: 'array',
          description: 'schema errors: every one, each with its pointer',
          items: { type: 'object', properties: { pointer: { type: 'string' }, message: { type: 'string' } } },
        },
      },
      required: ['code', 'message'],
    },
  },
} as const;

const nullableHttpsUrl = { anyOf: [{ type: 'string', maxLength: 2048 }, { type: 'null' }] } as const;

export const tenantValidationSchema = {
  type: 'object',
  description: 'The last validation: when, whether every check passed, and each check with what to do',
  required: ['at', 'ok', 'checks'],
  properties: {
    at: { type: 'string' },
    ok: { type: 'boolean' },
    checks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'ok', 'message'],
        properties: { name: { type: 'string' }, ok: { type: 'boolean' }, message: { type: 'string' } },
      },
    },
  },
} as const;

export const tenantSchema = {
  type: 'object',
  properties: {
    tenantId: { type: 'string' },
    cloud: { type: 'string', enum: ['standard', 'gcc-high'] },
    audiences: { type: 'array', items: { type: 'string' } },
    enrollmentUrl: { type: 'string' },
    remediationUrl: { type: 'string' },
    appClientId: { type: 'string', description: 'Application (client) ID of the app registered for fenestra in the tenant' },
    credential: {
      type: 'object',
      description:
        "Which credential is set (the secret or key is never returned), when it was set (setAt); a certificate's SHA-1 thumbprint as the Azure portal shows it, and its end date",
      required: ['kind'],
      properties: {
        kind: { type: 'string', enum: ['secret', 'certificate'] },
        thumbprint: { type: 'string' },
        notAfter: { type: 'string' },
        setAt: { type: 'string' },
      },
    },
    validation: tenantValidationSchema,
    domains: {
      type: 'array',
      items: { type: 'string' },
      description:
        "The tenant's verified domain names (lower case), read from Microsoft Graph at each validation; a sign-in whose login_hint is in one of them goes to this tenant",
    },
    complianceReporting: {
      type: 'object',
      description:
        'How compliance reports to Microsoft Graph last went: refused (error: why, e.g. the application is not an approved MDM application) or ok, since at',
      required: ['state', 'at'],
      properties: { state: { type: 'string', enum: ['ok', 'refused'] }, error: { type: 'string' }, at: { type: 'string' } },
    },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const tenantCredentialBody = {
  anyOf: [
    {
      type: 'object',
      additionalProperties: false,
      description: 'A client secret (its Value), or a PEM certificate with its unencrypted RSA private key',
      properties: {
        // Sized for real credentials (an Entra secret is 40 characters; an RSA key up to 4096 bits and
        // its certificate) so that the tenant body keeps a small limit (body-limit.ts).
        secret: { type: 'string', maxLength: 512 },
        certificatePem: { type: 'string', maxLength: 5120 },
        privateKeyPem: { type: 'string', maxLength: 4096 },
      },
    },
    { type: 'null' },
  ],
} as const;

const tenantAppClientId = { anyOf: [{ type: 'string', maxLength: 64, description: 'Application (client) ID (GUID)' }, { type: 'null' }] } as const;

export const tenantCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['tenantId', 'cloud', 'audiences'],
  properties: {
    tenantId: { type: 'string', maxLength: 64, description: 'Entra tenant ID (GUID)' },
    cloud: { type: 'string', enum: ['standard', 'gcc-high'] },
    audiences: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      items: { type: 'string', minLength: 1, maxLength: 512 },
      description: 'Accepted token audiences: the MDM app ID URI and/or its client ID',
    },
    enrollmentUrl: nullableHttpsUrl,
    remediationUrl: nullableHttpsUrl,
    appClientId: tenantAppClientId,
    credential: tenantCredentialBody,
  },
} as const;

export const tenantPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    cloud: tenantCreateBody.properties.cloud,
    audiences: tenantCreateBody.properties.audiences,
    enrollmentUrl: nullableHttpsUrl,
    remediationUrl: nullableHttpsUrl,
    appClientId: tenantAppClientId,
    credential: tenantCredentialBody,
  },
} as const;

export const tenantConsentQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    redirectUri: {
      type: 'string',
      maxLength: 2048,
      description: 'Where Entra sends the browser back (registered on the app); default: the console tenant page',
    },
  },
} as const;

export const tenantIdParams = {
  type: 'object',
  required: ['tenantId'],
  properties: { tenantId: { type: 'string', maxLength: 64 } },
} as const;

export const tenantDeleteQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    revokeDevices: { type: 'boolean', default: false, description: 'also revoke every enrolled device of the tenant (else they stay managed by certificate)' },
  },
} as const;

export const revokeBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: { type: 'string', enum: ['wipe', 'retire'], description: 'queue this action first; revoke once the device answered it, or at the deadline' },
    deadlineHours: { type: 'number', exclusiveMinimum: 0, maximum: 720, description: 'with after: revoke at the latest after this many hours (default 72)' },
  },
} as const;

export const revokeResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    state: { type: 'string', enum: ['enrolled', 'unenrolled'] },
    revokedAt: { type: 'string', description: 'revoked now (200)' },
    revokeAfter: {
      type: 'object',
      description: 'revocation pending (202): once the command is answered, or at the deadline',
      properties: { action: { type: 'string' }, command: { type: 'string' }, deadline: { type: 'string' } },
    },
  },
} as const;

export const accountCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256 },
    password: { type: 'string', minLength: 8, maxLength: 1024 },
  },
} as const;

export const pageQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

export const planQuery = {
  type: 'object',
  properties: { user: { type: 'string', maxLength: 256, description: 'Entra object ID or UPN; omit for a session with nobody signed in.' } },
} as const;

export const auditQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    before: { type: 'integer', minimum: 1 },
    actor: { type: 'string', minLength: 1, maxLength: 256, description: 'A part of the actor, any case (alice, break-glass)' },
    action: { type: 'string', minLength: 1, maxLength: 128, description: 'An action (tenant.connect) or a family of them (tenant)' },
    targetType: { type: 'string', minLength: 1, maxLength: 64 },
    targetId: { type: 'string', minLength: 1, maxLength: 256 },
    from: { type: 'string', minLength: 10, maxLength: 40, description: 'Entries at or after this ISO 8601 instant' },
    to: { type: 'string', minLength: 10, maxLength: 40, description: 'Entries before this ISO 8601 instant' },
  },
} as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 256 } } } as const;

const itemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['target'],
  properties: {
    target: { type: 'string', minLength: 1, maxLength: 1024 },
    format: { type: 'string', maxLength: 16 },
    type: { type: 'string', maxLength: 256 },
    data: { type: 'string', maxLength: 524288 },
  },
} as const;

const childCommand = {
  type: 'object',
  additionalProperties: false,
  required: ['verb'],
  properties: {
    verb: { type: 'string', enum: ['Add', 'Replace', 'Delete', 'Get', 'Exec', 'Atomic', 'Sequence'] },
    items: { type: 'array', maxItems: 200, items: itemSchema },
    commands: { type: 'array', maxItems: 200, items: { type: 'object' } },
  },
} as const;

export const commandBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    action: {
      type: 'string',
      enum: ['sync', 'reboot', 'wipe', 'retire', 'lock'],
      description: 'a named action instead of a raw command; lock is refused with a 400 that says why (Windows desktop has no remote lock over MDM)',
    },
    verb: childCommand.properties.verb,
    items: childCommand.properties.items,
    commands: { type: 'array', maxItems: 200, items: childCommand },
    userOid: {
      type: 'string',
      maxLength: 64,
      // Any other text would never match a session's user (tokens carry the oid in lower case,
      // compared as is): the command would stay queued forever.
      pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      description: "deliver only in a session of this Entra user: the user's object ID, a lower-case GUID",
    },
    expiresInHours: { type: 'integer', minimum: 1, maximum: 8760 },
  },
  anyOf: [{ required: ['action'] }, { required: ['verb'] }],
} as const;

export const deviceCommandParams = {
  type: 'object',
  required: ['id', 'commandId'],
  properties: { id: { type: 'string', maxLength: 256 }, commandId: { type: 'string', maxLength: 64 } },
} as const;

export const traceQuery = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, session: { type: 'string', maxLength: 64 } },
} as const;

export const profileCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kind', 'scope', 'settings'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    kind: { type: 'string', enum: ['vpn', 'wifi', 'email', 'certificate', 'hello', 'custom'] },
    scope: { type: 'string', enum: ['user', 'device'] },
    settings: { type: 'object', description: 'per kind: see schemas/profiles/<kind>.schema.json' },
  },
} as const;

export const profilePatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name: profileCreateBody.properties.name, settings: profileCreateBody.properties.settings },
} as const;

export const assignmentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['targetType'],
  properties: {
    targetType: { type: 'string', enum: ['user', 'group', 'device', 'all', 'entraGroup'] },
    targetId: { type: 'string', maxLength: 256, description: 'Entra oid or UPN, group id, device id, Entra group object ID; omitted for all' },
    tenantId: { type: 'string', maxLength: 64, description: "entraGroup: the group's tenant (may be omitted when one tenant has application credentials)" },
  },
} as const;

export const groupBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kind'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    kind: { type: 'string', enum: ['user', 'device'] },
    members: { type: 'array', maxItems: 10000, items: { type: 'string', maxLength: 256 } },
  },
} as const;

export const membersBody = {
  type: 'object',
  additionalProperties: false,
  required: ['members'],
  properties: { members: groupBody.properties.members },
} as const;

export const memberParams = {
  type: 'object',
  required: ['id', 'member'],
  properties: { id: { type: 'string', maxLength: 64 }, member: { type: 'string', maxLength: 256 } },
} as const;

export const forceQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    force: {
      type: 'boolean',
      default: false,
      description: 'delete even though others depend on it (else 409 naming them); the audit entry names what went with it',
    },
  },
} as const;
