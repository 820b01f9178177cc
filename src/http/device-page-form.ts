// The forms the device-facing pages post (terms of use, federated sign-in): URL-encoded only, at
// most 8 KiB, and a field given twice read as absent (no guessing which of two values counts).
import type { FastifyInstance } from 'fastify';

const FORM_BODY_LIMIT = 8 * 1024;

function parseForm(body: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = Object.create(null);
  const seen = new Set<string>();
  for (const [k, v] of new URLSearchParams(body)) {
    out[k] = seen.has(k) ? undefined : v;
    seen.add(k);
  }
  return out;
}

/** This plugin's routes take URL-encoded forms and nothing else (any other body: 415; over the limit: 413). */
export function acceptFormsOnly(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_req, body, done) =>
    done(null, parseForm(body as string)),
  );
}
