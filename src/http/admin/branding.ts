// Admin API: branding and help contacts (issue #16; service/branding.ts) — the page Windows shows
// at the end of MDM enrollment and the help contacts under Access work or school.
import { BrandingService } from '../../service/branding.js';
import type { Store } from '../../store/types.js';
import { actorOf } from './auth.js';
import type { AdminApi } from './schema-types.js';
import { errorReplies } from './openapi-replies.js';

const text = (maxLength: number, description: string) => ({ type: 'string', maxLength, description }) as const;

// Types and sizes here (lengths in characters, as the service counts them; it also checks URLs,
// the address, the phone number and control characters, naming the field).
const brandingFields = {
  completePageTitle: text(100, 'CustomEnrollmentCompletePage/Title: the title of the page at the end of MDM enrollment'),
  completePageText: text(1000, 'CustomEnrollmentCompletePage/BodyText: its text (line breaks allowed)'),
  completePageLinkHref: text(2048, 'CustomEnrollmentCompletePage/HyperlinkHref: a link on it (https://)'),
  completePageLinkText: text(100, 'CustomEnrollmentCompletePage/HyperlinkText: the text of that link (needs the link)'),
  helpPhoneNumber: text(32, 'HelpPhoneNumber: digits, spaces and + ( ) . - /'),
  helpWebsite: text(2048, 'HelpWebsite (https://)'),
  helpEmailAddress: text(254, 'HelpEmailAddress'),
} as const;

const brandingBody = {
  type: 'object',
  additionalProperties: false,
  description: 'The whole set: a field left out or empty is cleared (its node deleted from devices)',
  properties: brandingFields,
} as const;

const brandingReply = {
  type: 'object',
  description: 'The branding and help contacts devices are given (DMClient Provider/<ProviderID>)',
  required: ['branding'],
  properties: {
    branding: { type: 'object', properties: brandingFields },
    updatedAt: { type: 'string' },
  },
} as const;

export function brandingRoutes(api: AdminApi, deps: { store: Store }): void {
  const service = new BrandingService(deps.store);
  api.get(
    '/api/v1/settings/branding',
    {
      schema: {
        operationId: 'getBranding',
        tags: ['settings'],
        summary: 'The enrollment-complete page and help contacts sent to devices',
        response: { 200: brandingReply, ...errorReplies() },
      },
    },
    () => service.get(),
  );
  api.put(
    '/api/v1/settings/branding',
    {
      schema: {
        operationId: 'setBranding',
        tags: ['settings'],
        summary:
          'Set the enrollment-complete page and help contacts (every device gets them in its next session; new enrollments in their provisioning document)',
        body: brandingBody,
        response: { 200: brandingReply, ...errorReplies(400, 413, 415) },
      },
    },
    (request) => service.set(request.body as Record<string, unknown>, actorOf(request)),
  );
}
