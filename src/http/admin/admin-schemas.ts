// Schemas of the administrators' routes (admins.ts): request bodies and every reply, each field
// listed (Fastify's serializer writes only the properties a schema lists).
import { ADMIN_ROLES } from '../../domain/admin.js';
import { errorReply } from './openapi-replies.js';

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const instant = { type: 'string', description: 'ISO 8601 instant' } as const;
const role = { type: 'string', enum: ADMIN_ROLES, description: 'read-only < helpdesk < admin < owner' } as const;

export const adminIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;

export const adminCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'role'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 128 },
    displayName: { type: 'string', maxLength: 128 },
    role,
    password: { type: 'string', maxLength: 1024, description: 'at least 12 characters; leave out for an administrator who signs in with Entra ID only' },
  },
} as const;

export const adminPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    displayName: { anyOf: [{ type: 'string', maxLength: 128 }, { type: 'null' }] },
    role,
    disabled: { type: 'boolean', description: 'true ends its sessions at once and stops its API tokens' },
    password: { type: 'string', maxLength: 1024, description: 'a new password (at least 12 characters)' },
  },
} as const;

export const tokenListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    all: { type: 'boolean', description: "everyone's tokens (owner)" },
    adminId: { type: 'string', maxLength: 64, description: "this administrator's tokens (another's: owner)" },
  },
} as const;

export const tokenCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    role: { ...role, description: "at most its administrator's role (the default)" },
    expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
    adminId: { type: 'string', maxLength: 64, description: 'the administrator the token acts for (default: the caller; another: owner)' },
  },
} as const;

export const adminReply = {
  type: 'object',
  description: 'An administrator (no password hash)',
  required: ['id', 'username', 'role', 'disabled', 'passwordSet', 'createdAt', 'updatedAt'],
  properties: {
    id: str,
    username: str,
    displayName: str,
    role,
    disabled: bool,
    passwordSet: { type: 'boolean', description: 'signs in with a password' },
    externalIssuer: { type: 'string', description: 'signs in with this OpenID Connect issuer (Entra ID)' },
    createdAt: instant,
    updatedAt: instant,
    lastSignInAt: instant,
  },
} as const;
export const adminList = { type: 'array', description: 'The administrators', items: adminReply } as const;

export const tokenReply = {
  type: 'object',
  description: 'A personal API token (never its secret)',
  required: ['id', 'prefix', 'name', 'adminId', 'role', 'createdAt', 'active'],
  properties: {
    id: str,
    prefix: { type: 'string', description: 'the token reads fen_<prefix>_…' },
    name: str,
    adminId: str,
    adminUsername: str,
    role,
    createdAt: instant,
    lastUsedAt: instant,
    expiresAt: instant,
    revokedAt: instant,
    active: { type: 'boolean', description: 'neither revoked nor expired' },
  },
} as const;
export const tokenList = { type: 'array', description: 'API tokens, newest first', items: tokenReply } as const;

export const tokenCreated = {
  type: 'object',
  description: 'The new token; its secret is shown here once and never again',
  required: ['token', 'secret'],
  properties: { token: tokenReply, secret: { type: 'string', description: 'fen_<prefix>_<secret>: send as Authorization: Bearer' } },
} as const;

export const meReply = {
  type: 'object',
  description: 'Who the caller is',
  required: ['name', 'role', 'via'],
  properties: {
    name: { type: 'string', description: "the administrator's user name, or break-glass" },
    role,
    via: { type: 'string', enum: ['session', 'api-token', 'break-glass'] },
    tokenName: { type: 'string', description: 'with via api-token: the token used' },
    admin: adminReply,
  },
} as const;

/** 403: the role lacks the route's capability (named), or a console session's CSRF token is missing. */
const forbiddenReply = {
  type: 'object',
  description: "The caller's role lacks the capability (or a console session's CSRF token is missing or wrong)",
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', enum: ['forbidden', 'csrf'] },
        message: str,
        capability: { type: 'string', description: 'the capability the role lacks' },
      },
    },
  },
} as const;

/** Error replies of these routes: every one can answer 401, 403 and 503. */
export function adminErrors(...statuses: (400 | 404 | 409 | 413 | 415)[]) {
  const text: Record<number, string> = {
    400: 'Invalid request: the pointer names the field',
    401: 'No valid credential',
    404: 'Not found',
    409: 'Conflict: the user name is taken, the token is revoked already, or it would leave no enabled owner',
    413: 'Body larger than the route admits',
    415: 'Body not JSON',
    503: 'Database unavailable or busy: retry later',
  };
  const out: Record<number, ReturnType<typeof errorReply>> = {};
  for (const s of [...statuses, 401, 503].sort()) out[s] = errorReply(text[s]);
  return { ...out, 403: forbiddenReply };
}
