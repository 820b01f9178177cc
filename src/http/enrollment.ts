// Device-facing enrollment routes (MS-MDE2 discovery, MS-XCEP policy, MS-WSTEP enrollment).
// Only application/soap+xml bodies are read here, up to MAX_SOAP_BYTES. The client certificate
// (renewal, re-enrollment) is read by the same rule as for management: client-credential.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_SOAP_BYTES } from '../protocol/soap.js';
import type { EnrollmentEndpoints, SoapReply } from '../service/enrollment/endpoints.js';
import { PATHS } from '../service/urls.js';
import { clientCredential, type TrustedProxies } from './client-credential.js';
import { sendWhole } from './send.js';

const SOAP_TYPE = 'application/soap+xml; charset=utf-8';

function soapBody(request: FastifyRequest, reply: FastifyReply): Buffer | undefined {
  if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
    void sendWhole(reply, 400, 'text/plain; charset=utf-8', 'A SOAP envelope is required in the request body\n');
    return undefined;
  }
  return request.body;
}

export async function enrollmentRoutes(app: FastifyInstance, opts: { endpoints: EnrollmentEndpoints; trustedProxies?: TrustedProxies }): Promise<void> {
  const { endpoints } = opts;
  const credentialOf = clientCredential(opts.trustedProxies);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/soap+xml', 'text/xml', 'application/xml'], { parseAs: 'buffer', bodyLimit: MAX_SOAP_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  const answer = (reply: FastifyReply, r: SoapReply) => {
    reply.header('x-fenestra-outcome', r.outcome);
    if (r.retryAfterSeconds) reply.header('retry-after', String(r.retryAfterSeconds));
    return sendWhole(reply, r.status, SOAP_TYPE, r.body);
  };

  // The probe Windows sends before POSTing Discover.
  app.get(PATHS.discovery, async (_request, reply) => sendWhole(reply, 200, 'text/html; charset=utf-8', ''));

  app.post(PATHS.discovery, async (request, reply) => {
    const body = soapBody(request, reply);
    if (body) return answer(reply, await endpoints.discovery(body));
  });

  app.post(PATHS.policy, async (request, reply) => {
    const body = soapBody(request, reply);
    if (body) return answer(reply, await endpoints.policy(body, credentialOf(request)));
  });

  app.post(PATHS.enrollment, async (request, reply) => {
    const body = soapBody(request, reply);
    if (body) return answer(reply, await endpoints.enrollment(body, credentialOf(request)));
  });
  // The AuthenticationServiceUrl of a Federated discovery answer: enrollment-sign-in.ts.
}
