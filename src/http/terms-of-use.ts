// Terms-of-Use routes (docs/protocol-notes.md "Terms of use"). Adapts HTTP <->
// src/service/enrollment/terms-of-use.ts, and renders its outcome (terms-of-use-page.ts); no
// protocol logic here. Encapsulated plugin: its own form parser
// (8 KiB), its own error handler, and the security headers on every answer. Register with
// app.register(termsOfUseRoutes, { deps }).
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyError } from 'fastify';
import { handleTermsDecision, handleTermsOfUse, type TermsOfUseDeps, type TermsOfUseOutcome } from '../service/enrollment/terms-of-use.js';
import { acceptFormsOnly } from './device-page-form.js';
import { renderTermsErrorPage, renderTermsPage } from './terms-of-use-page.js';

export const TERMS_OF_USE_PATH = '/EnrollmentServer/TermsOfUse';

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action ms-appx-web: ms-aadj-redir: 'self'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

/** Single-valued string fields only: a repeated or non-string field is treated as absent. */
function flatten(input: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = Object.create(null);
  if (input && typeof input === 'object') {
    for (const [k, v] of Object.entries(input as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : undefined;
  }
  return out;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function send(reply: FastifyReply, outcome: TermsOfUseOutcome, cxhHost: string | undefined): FastifyReply {
  switch (outcome.kind) {
    case 'redirect':
      return reply.code(302).header('location', outcome.location).send();
    case 'page':
      return reply.code(outcome.status).type('text/html; charset=utf-8').send(renderTermsPage(outcome.page, cxhHost));
    case 'error':
      return reply.code(outcome.status).type('text/html; charset=utf-8').send(renderTermsErrorPage(outcome.message, cxhHost));
  }
}

export async function termsOfUseRoutes(app: FastifyInstance, opts: { deps: TermsOfUseDeps }): Promise<void> {
  const { deps } = opts;

  acceptFormsOnly(app);

  app.addHook('onRequest', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const cxhHost = headerValue(req.headers['cxh-host']);
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    let message: string;
    if (status === 415) message = 'Unsupported content type: send application/x-www-form-urlencoded.';
    else if (status === 413) message = 'The request body is too large.';
    else if (status < 500) message = 'The request could not be understood.';
    else {
      // Log the failure, never the request body or headers (they may carry tokens).
      req.log.error({ err: { type: err.name, code: err.code, message: err.message } }, 'terms-of-use handler failed');
      message = 'An internal error occurred.';
    }
    reply.headers(SECURITY_HEADERS);
    return reply.code(status).type('text/html; charset=utf-8').send(renderTermsErrorPage(message, cxhHost));
  });

  app.get(TERMS_OF_USE_PATH, async (req, reply) => {
    const cxhHost = headerValue(req.headers['cxh-host']);
    const outcome = await handleTermsOfUse(deps, {
      query: flatten(req.query),
      authorization: headerValue(req.headers.authorization),
    });
    return send(reply, outcome, cxhHost);
  });

  app.post(TERMS_OF_USE_PATH, async (req, reply) => {
    const cxhHost = headerValue(req.headers['cxh-host']);
    const outcome = await handleTermsDecision(deps, { form: flatten(req.body) });
    return send(reply, outcome, cxhHost);
  });
}
