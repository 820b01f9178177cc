// Admin API: the WNS push settings (service/push/settings-admin.ts). The client secret is
// write-only: a reply says whether one is set and its fingerprint, never the secret.
import type { PushSettingsAdmin } from '../../service/push/settings-admin.js';
import type { PushSettingsInput } from '../../service/push/settings.js';
import { actorOf } from './auth.js';
import type { AdminApi } from './schema-types.js';
import { errorReplies, noContent } from './openapi-replies.js';

// Types and sizes here; the rules the FENESTRA_WNS_PFN… variables follow (PFN form, https, host names) in the service, with the field named.
const pushSettingsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['pfn', 'clientId'],
  properties: {
    pfn: { type: 'string', maxLength: 100, description: 'package family name set on devices (<name>_<publisher id>)' },
    clientId: { type: 'string', maxLength: 256, description: 'package SID, ms-app://s-1-15-2-…' },
    clientSecret: { type: 'string', maxLength: 1024, description: 'write-only; leave out to keep the stored one' },
    tokenUrl: { type: 'string', maxLength: 2048, description: "WNS token endpoint (default: WNS's); https://" },
    channelHosts: {
      type: 'array',
      maxItems: 20,
      items: { type: 'string', maxLength: 253 },
      description: 'hosts a ChannelURI may point at: exact names or .suffixes (default [".notify.windows.com"])',
    },
  },
} as const;

const pushSettingsReply = {
  type: 'object',
  description: 'The push settings in force',
  required: ['source', 'configured', 'clientSecretSet'],
  properties: {
    source: {
      type: 'string',
      enum: ['env', 'api', 'none'],
      description: 'env: the FENESTRA_WNS_PFN… variables (they win; read-only here); api: set here; none: push is off',
    },
    configured: { type: 'boolean' },
    pfn: { type: 'string' },
    clientId: { type: 'string' },
    clientSecretSet: { type: 'boolean' },
    clientSecretFingerprint: { type: 'string', description: 'sha256: and the first 16 hex digits of the SHA-256 of the secret' },
    tokenUrl: { type: 'string' },
    channelHosts: { type: 'array', items: { type: 'string' } },
    updatedAt: { type: 'string' },
  },
} as const;

export function pushSettingsRoutes(api: AdminApi, deps: { pushSettings: PushSettingsAdmin }): void {
  api.get(
    '/api/v1/settings/push',
    {
      schema: {
        operationId: 'getPushSettings',
        tags: ['settings'],
        summary: 'The WNS push settings in force and where they come from (the client secret is never returned)',
        response: { 200: pushSettingsReply, ...errorReplies() },
      },
    },
    () => deps.pushSettings.get(),
  );
  api.put(
    '/api/v1/settings/push',
    {
      schema: {
        operationId: 'setPushSettings',
        tags: ['settings'],
        summary: 'Turn push on or change its settings (takes effect at once; 409 when the FENESTRA_WNS_PFN… variables configure it)',
        body: pushSettingsBody,
        response: { 200: pushSettingsReply, ...errorReplies(400, 409, 413, 415) },
      },
    },
    (request) => deps.pushSettings.set(request.body as PushSettingsInput, actorOf(request)),
  );
  api.delete(
    '/api/v1/settings/push',
    {
      schema: {
        operationId: 'deletePushSettings',
        tags: ['settings'],
        summary: 'Turn push off (409 when the FENESTRA_WNS_PFN… variables configure it)',
        response: { 204: noContent('Push is off'), ...errorReplies(404, 409) },
      },
    },
    async (request, reply) => {
      await deps.pushSettings.remove(actorOf(request));
      return reply.code(204).send();
    },
  );
}
