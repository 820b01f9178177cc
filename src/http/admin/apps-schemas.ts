// Request and reply schemas of the app catalog routes (apps.ts). Replies list every field the
// catalog returns (Fastify serializes with them: an unlisted field would vanish).
import { assignmentReply } from './openapi-replies.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const instant = { type: 'string', description: 'ISO 8601 instant' } as const;
const kind = { type: 'string', enum: ['msi', 'msix', 'office'] } as const;
const sha256 = { type: 'string', description: 'Lower-case hexadecimal SHA-256 of the package' } as const;

// ---- requests -----------------------------------------------------------------------------------

export const appIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;
export const appVersionParams = {
  type: 'object',
  required: ['id', 'versionId'],
  properties: { id: { type: 'string', maxLength: 64 }, versionId: { type: 'string', maxLength: 64 } },
} as const;

export const packageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fileName: {
      type: 'string',
      maxLength: 255,
      description: "The package's file name (kept with the version; .appx or .msix tells an MSIX package's format)",
    },
  },
} as const;

export const appPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 4000, description: 'Empty: none' },
  },
} as const;

export const publicAppBody = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'sha256'],
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 2048, description: 'https:// URL of the package on its vendor’s site; fetched once' },
    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'The SHA-256 the package must have (64 hexadecimal digits)' },
  },
} as const;

export const officeAppBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'configurationXml'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    configurationXml: {
      type: 'string',
      minLength: 1,
      maxLength: 65536,
      description: 'Office Deployment Tool configuration: a <Configuration> root with an <Add> element',
    },
  },
} as const;

export const liveBody = {
  type: 'object',
  additionalProperties: false,
  required: ['versionId'],
  properties: { versionId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const deployBody = {
  type: 'object',
  additionalProperties: false,
  required: ['targetType', 'intent'],
  properties: {
    targetType: { type: 'string', enum: ['user', 'group', 'device', 'all', 'entraGroup'] },
    targetId: { type: 'string', maxLength: 256, description: 'Entra oid or UPN, group id, device id, Entra group object ID; omitted for all' },
    intent: { type: 'string', enum: ['install', 'uninstall'] },
    scope: { type: 'string', enum: ['user', 'device'], description: 'Default: user for MSIX and per-user MSIs, else device' },
  },
} as const;

export const appDeleteQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    force: { type: 'boolean', default: false, description: 'delete even though profiles deploy it (else 409 naming them); they stay' },
  },
} as const;

// ---- replies ------------------------------------------------------------------------------------

const msi = {
  type: 'object',
  description: 'What was read of the MSI (its Property table)',
  required: ['productCode', 'productVersion', 'productName', 'manufacturer'],
  properties: {
    productCode: str,
    productVersion: str,
    productName: str,
    manufacturer: str,
    upgradeCode: str,
    productLanguage: str,
    allUsers: { type: 'string', description: 'ALLUSERS as authored (absent: a per-user package)' },
  },
} as const;

const msix = {
  type: 'object',
  description: 'What was read of the MSIX/APPX package or bundle (manifest and signature)',
  required: ['format', 'name', 'publisher', 'version', 'architecture', 'packageFamilyName', 'packageFullName', 'signed', 'dependencies'],
  properties: {
    format: { type: 'string', enum: ['msix', 'appx', 'msixbundle', 'appxbundle'] },
    name: str,
    publisher: str,
    version: str,
    architecture: str,
    packageFamilyName: str,
    packageFullName: str,
    displayName: str,
    publisherDisplayName: str,
    signed: bool,
    dependencies: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: str, publisher: str, minVersion: str } },
    },
  },
} as const;

const office = {
  type: 'object',
  required: ['configurationXml', 'installationId'],
  properties: { configurationXml: str, installationId: str },
} as const;

export const appVersionReply = {
  type: 'object',
  description: 'A version of an app, as read from its package',
  required: ['id', 'appId', 'version', 'source', 'createdAt'],
  properties: {
    id: str,
    appId: str,
    version: { type: 'string', description: "The package's own version" },
    source: { type: 'string', enum: ['upload', 'url', 'office'] },
    sourceUrl: str,
    sha256,
    size: int,
    fileName: str,
    msi,
    msix,
    office,
    createdAt: instant,
    createdBy: { type: 'string', description: 'Who added it (audit actor)' },
  },
} as const;

const appProps = {
  id: str,
  name: str,
  kind,
  publisher: str,
  description: str,
  identity: { type: 'string', description: 'MSI UpgradeCode (else ProductCode), MSIX package family name, or Office channel' },
  liveVersionId: str,
  createdAt: instant,
  updatedAt: instant,
} as const;
const appRequired = ['id', 'name', 'kind', 'identity', 'createdAt', 'updatedAt'] as const;

export const appReply = { type: 'object', description: 'An app of the catalog', required: appRequired, properties: appProps } as const;

export const appList = {
  type: 'array',
  description: 'The apps, by name',
  items: {
    type: 'object',
    required: [...appRequired, 'versionCount'],
    properties: { ...appProps, liveVersion: { type: 'string', description: "The live version's version number" }, versionCount: int },
  },
} as const;

export const appDetail = {
  type: 'object',
  description: 'An app, its versions (newest first) and its deployments (profiles of kind app)',
  required: [...appRequired, 'versions', 'deployments'],
  properties: {
    ...appProps,
    versions: { type: 'array', items: appVersionReply },
    deployments: {
      type: 'array',
      items: {
        type: 'object',
        required: ['profileId', 'intent', 'scope', 'version', 'assignments'],
        properties: {
          profileId: str,
          intent: { type: 'string', enum: ['install', 'uninstall'] },
          scope: { type: 'string', enum: ['user', 'device'] },
          version: int,
          assignments: { type: 'array', items: assignmentReply },
        },
      },
    },
  },
} as const;

export const appAdded = (description: string) =>
  ({ type: 'object', description, required: ['app', 'version'], properties: { app: appReply, version: appVersionReply } }) as const;

export const deployReply = {
  ...assignmentReply,
  description: "The assignment of the app's profile for that intent and scope",
  required: [...assignmentReply.required, 'intent', 'scope'],
  properties: {
    ...assignmentReply.properties,
    intent: { type: 'string', enum: ['install', 'uninstall'] },
    scope: { type: 'string', enum: ['user', 'device'] },
  },
} as const;

export const appStatusReply = {
  type: 'array',
  description: "Delivery of the app, per profile: counts by status and each (device, user) row with the reconciler's detail",
  items: {
    type: 'object',
    required: ['profileId', 'intent', 'scope', 'version', 'counts', 'deliveries'],
    properties: {
      profileId: str,
      intent: { type: 'string', enum: ['install', 'uninstall'] },
      scope: { type: 'string', enum: ['user', 'device'] },
      version: int,
      counts: { type: 'object', additionalProperties: int, description: 'Deliveries by status' },
      deliveries: {
        type: 'array',
        items: {
          type: 'object',
          required: ['deviceId', 'user', 'status', 'version', 'updatedAt'],
          properties: {
            deviceId: str,
            user: { anyOf: [{ type: 'object', required: ['key'], properties: { key: str, upn: str } }, { type: 'null' }] },
            status: str,
            detail: { type: 'string', description: 'Install progress or failure as the reconciler recorded it' },
            version: { type: 'integer', description: 'The profile version this row is about' },
            updatedAt: instant,
          },
        },
      },
    },
  },
} as const;

/** The package routes take the raw package (no body schema: the body is a stream): their request body in the OpenAPI document. */
export function documentPackageBodies(doc: Record<string, unknown>): void {
  const body = {
    required: true,
    description: 'The package file itself (MSI, MSIX, APPX, MSIX or APPX bundle), streamed',
    content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
  };
  for (const item of Object.values(doc.paths as Record<string, Record<string, Record<string, unknown>>>)) {
    for (const op of Object.values(item)) if (op.operationId === 'uploadAppPackage' || op.operationId === 'uploadAppVersion') op.requestBody = body;
  }
}
