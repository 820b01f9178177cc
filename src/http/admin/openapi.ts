// The admin API's OpenAPI 3.1 document, served at GET /api/v1/openapi.json. @fastify/swagger
// builds it from the route schemas (operationId, summary, tags, parameters, bodies, replies);
// this module adds what the routes cannot say:
// - `servers`: the URL the admin API is reached at (the public URL, or the admin listener's
//   port under the public host name when FENESTRA_ADMIN_LISTEN splits it off);
// - profile settings typed per kind: the routes validate `settings` as a plain object (the
//   profile service checks it against its kind, with its own messages), while the document
//   describes each kind's settings (src/protocol/csp/schemas.ts, published as
//   schemas/profiles/<kind>.schema.json) as components, chosen by `kind` (oneOf + discriminator).
import type { AddressInfo } from 'node:net';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { isSecretKey, MASK } from '../../identity/secret-box.js';
import { PROFILE_SCHEMAS } from '../../protocol/csp/schemas.js';
import { PROFILE_KINDS } from '../../protocol/csp/types.js';
import { profileCreateBody, profilePatchBody } from './schemas.js';
import { profileDetail, profileReply } from './openapi-replies.js';
import { documentPackageBodies } from './apps-schemas.js';

type Json = Record<string, unknown>;

const TAGS = [
  { name: 'tenants', description: 'Entra tenants whose users and devices may enroll' },
  { name: 'enrollment accounts', description: 'On-premises enrollment accounts (username and password)' },
  { name: 'devices', description: 'Enrolled devices: list, detail, commands, sessions, revocation, push' },
  { name: 'fleet', description: 'Fleet summary and the stale-device policy' },
  { name: 'profiles', description: 'Configuration profiles (VPN, Wi-Fi, email, certificates, Hello, custom) and their assignments' },
  { name: 'groups', description: 'User and device groups, and their check-in schedules' },
  { name: 'apps', description: 'The app catalog: MSI and MSIX packages, Microsoft 365 Apps, live versions, deployment and delivery status' },
  { name: 'compliance', description: "Compliance policies, their assignments, and each device's compliance state" },
  { name: 'esp', description: "Enrollment Status Page policies, each device's day-zero timeline, and the fleet's day zero" },
  { name: 'settings', description: 'Server-wide settings: the check-in schedule, WNS push, branding and help contacts' },
  { name: 'audit', description: 'Who did what, newest first' },
  { name: 'administrators', description: 'Administrators, their roles, and who the caller is' },
  { name: 'API tokens', description: 'Personal API tokens of administrators' },
];

const cap = (kind: string) => kind[0].toUpperCase() + kind.slice(1);
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * A copy without the `discriminator`s whose `oneOf` branches are written inline: OpenAPI's
 * discriminator selects named schemas only. The `const` each branch holds for the property
 * keeps the choice explicit for any reader or validator.
 */
function withoutInlineDiscriminators(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutInlineDiscriminators);
  if (!v || typeof v !== 'object') return v;
  const o = v as Json;
  const inline = Array.isArray(o.oneOf) && (o.oneOf as Json[]).some((b) => !('$ref' in b));
  return Object.fromEntries(Object.entries(o).flatMap(([k, x]) => (k === 'discriminator' && inline ? [] : [[k, withoutInlineDiscriminators(x)]])));
}

/** Each kind's settings schema as a component: the draft-07 `$schema` (and any `$id`) left out. */
function settingsComponents(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const kind of PROFILE_KINDS) {
    const { $schema: _s, $id: _i, ...schema } = PROFILE_SCHEMAS[kind];
    out[`${cap(kind)}Settings`] = withoutInlineDiscriminators(schema) as Json;
    out[`${cap(kind)}MaskedSettings`] = masked(out[`${cap(kind)}Settings`]) as Json;
  }
  return out;
}

/**
 * The settings as replies show them and updates take them: every secret property (by name, as
 * identity/secret-box masks them) is the mask, or (in an update) a new value.
 */
function masked(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(masked);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Json).map(([k, x]) => {
      if (k !== 'properties' || !x || typeof x !== 'object') return [k, masked(x)];
      const props = Object.entries(x as Json).map(([name, p]) => [
        name,
        isSecretKey(name)
          ? { anyOf: [p, { const: MASK, description: 'Secret: replies show this mask; an update that sends it back keeps the value' }] }
          : masked(p),
      ]);
      return [k, Object.fromEntries(props)];
    }),
  );
}

/** One object schema per kind (kind fixed, settings that kind's), and a oneOf of them chosen by kind. */
function byKind(
  base: { required: readonly string[]; properties: Json; description?: string },
  suffix: string,
  settings: 'Settings' | 'MaskedSettings',
  components: Record<string, Json>,
) {
  for (const kind of PROFILE_KINDS) {
    components[`${cap(kind)}${suffix}`] = {
      type: 'object',
      ...('additionalProperties' in base ? { additionalProperties: base.additionalProperties } : {}),
      required: base.required,
      properties: { ...base.properties, kind: { type: 'string', const: kind }, settings: ref(`${cap(kind)}${settings}`) },
    };
  }
  components[suffix] = {
    description: base.description,
    oneOf: PROFILE_KINDS.map((k) => ref(`${cap(k)}${suffix}`)),
    discriminator: { propertyName: 'kind' },
  };
  return ref(suffix);
}

/** Replaces the loosely typed profile bodies and replies (operationIds below) with the per-kind components. */
function typeProfiles(doc: Json): void {
  const components = ((doc.components as Json).schemas ??= {}) as Record<string, Json>;
  Object.assign(components, settingsComponents());
  const create = byKind(profileCreateBody, 'ProfileCreate', 'Settings', components);
  const profile = byKind(profileReply, 'Profile', 'MaskedSettings', components);
  const detail = byKind(profileDetail, 'ProfileDetail', 'MaskedSettings', components);
  components.ProfilePatch = {
    ...profilePatchBody,
    properties: {
      ...profilePatchBody.properties,
      settings: {
        description: "The settings of the profile's kind (all of them: a masked secret sent back keeps its value)",
        anyOf: PROFILE_KINDS.map((k) => ref(`${cap(k)}MaskedSettings`)),
      },
    },
  };
  const bodies: Record<string, Json> = { createProfile: create, updateProfile: ref('ProfilePatch') };
  const replies: Record<string, Record<string, Json>> = {
    createProfile: { 201: profile },
    updateProfile: { 200: profile },
    getProfile: { 200: detail },
    listProfiles: { 200: { type: 'array', items: profile } },
  };
  for (const item of Object.values(doc.paths as Record<string, Record<string, Json>>)) {
    for (const op of Object.values(item)) {
      const id = op.operationId as string;
      const json = (r: Json | undefined) => (r?.content as Record<string, Json> | undefined)?.['application/json'];
      if (bodies[id]) json(op.requestBody as Json)!.schema = bodies[id];
      for (const [status, schema] of Object.entries(replies[id] ?? {})) json((op.responses as Record<string, Json>)[status])!.schema = schema;
    }
  }
}

export interface OpenApiOptions {
  publicUrl: string;
  /** The admin API has a listener of its own (FENESTRA_ADMIN_LISTEN). */
  ownListener?: boolean;
}

/** Registers the document generator and GET /api/v1/openapi.json (outside the admin token check: the document holds no secret). */
export async function openApiDocument(app: FastifyInstance, opts: OpenApiOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'fenestra admin API',
        version: '1',
        description: 'Administration of a fenestra Windows MDM server: tenants, devices, profiles, groups, settings, audit.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      tags: TAGS,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transformObject: (documentObject) => {
      const doc = (documentObject as { openapiObject: Json }).openapiObject;
      typeProfiles(doc);
      documentPackageBodies(doc);
      return doc;
    },
  });
  const serverUrl = (): string => {
    if (!opts.ownListener) return opts.publicUrl;
    const url = new URL(opts.publicUrl);
    url.port = String((app.server.address() as AddressInfo).port);
    return url.origin;
  };
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => {
    const { openapi, info, ...rest } = app.swagger() as unknown as Json;
    return { openapi, info, servers: [{ url: serverUrl(), description: 'this server' }], ...rest };
  });
}
