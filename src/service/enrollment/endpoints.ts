// The three SOAP enrollment endpoints as functions of (body bytes, TLS peer) → SOAP reply.
// Every refusal is an MS-MDE2 fault that relates to the request's MessageID; nothing is
// created for a refused request.
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { DISCOVER_ACTION, DISCOVER_RESPONSE_ACTION, buildDiscoverResponse, parseDiscoverRequest } from '../../protocol/mde2/discover.js';
import { GET_POLICIES_ACTION, GET_POLICIES_RESPONSE_ACTION, buildGetPoliciesResponse, parseGetPoliciesRequest } from '../../protocol/mde2/xcep.js';
import { RST_ACTION, RSTRC_ACTION, buildRstrResponse, parseRstRequest } from '../../protocol/mde2/wstep.js';
import { SoapFault, type SoapRequest, buildSoapFault, parseSoapRequest } from '../../protocol/soap.js';
import { discover } from './discovery.js';
import { authenticateEnrollment, RetryLaterFault } from './auth.js';
import type { EnrollmentDeps } from './deps.js';
import { enroll } from './enroll.js';
import type { PresentedCredential } from '../management/auth.js';
import { enrolledCertificate } from './device-certificate.js';
import { renew } from './renew.js';
import { isStoreUnavailable } from '../../store/errors.js';

export interface SoapReply {
  status: number;
  body: string;
  /** 'ok' or the fault subcode, for logs and metrics. */
  outcome: string;
  /** Sent as Retry-After (the database is unavailable: try again later). */
  retryAfterSeconds?: number;
}

type Handler = (req: SoapRequest, activityId: string) => Promise<string>;

export class EnrollmentEndpoints {
  private readonly deps: EnrollmentDeps;
  private readonly log: Logger;
  constructor(deps: EnrollmentDeps, log: Logger) {
    this.deps = deps;
    this.log = log;
  }

  private async run(body: Buffer, expectedAction: string, replyAction: string, handler: Handler): Promise<SoapReply> {
    const activityId = crypto.randomUUID();
    let messageId: string | undefined;
    try {
      const req = parseSoapRequest(body);
      messageId = req.messageId;
      if (req.action !== expectedAction) {
        throw new SoapFault('s:MessageFormat', `This endpoint does not serve the action ${req.action.slice(0, 200)}`);
      }
      return { status: 200, body: await handler(req, activityId), outcome: 'ok' };
    } catch (err) {
      let fault: SoapFault;
      let retryAfterSeconds: number | undefined;
      if (err instanceof SoapFault) {
        fault = err;
        this.log.info({ traceId: activityId, fault: err.subcode, errorType: err.errorType, reason: err.reason }, 'enrollment request refused');
      } else if (isStoreUnavailable(err)) {
        // Nothing was stored: 503 + Retry-After, with the fault Windows reads from the body.
        this.log.warn({ traceId: activityId, reason: (err as Error).message }, 'enrollment request refused: database unavailable');
        fault = new SoapFault(
          's:EnrollmentServer',
          `The enrollment service is temporarily unavailable; try again later (trace id ${activityId})`,
          'InMaintenance',
        );
        retryAfterSeconds = 5;
      } else {
        this.log.error({ traceId: activityId, err }, 'enrollment request failed');
        fault = new SoapFault('a:InternalServiceFault', `Internal error; trace id ${activityId}`);
      }
      const xml = buildSoapFault(
        { subcode: fault.subcode, reason: fault.reason, errorType: fault.errorType },
        { action: replyAction, relatesTo: messageId, activityId, traceId: activityId },
      );
      if (err instanceof RetryLaterFault) return { status: err.httpStatus, body: xml, outcome: err.outcome, retryAfterSeconds: err.retryAfterSeconds };
      if (retryAfterSeconds) return { status: 503, body: xml, outcome: 'unavailable', retryAfterSeconds };
      return { status: 500, body: xml, outcome: fault.subcode };
    }
  }

  discovery(body: Buffer): Promise<SoapReply> {
    return this.run(body, DISCOVER_ACTION, DISCOVER_RESPONSE_ACTION, async (req, activityId) => {
      const d = parseDiscoverRequest(req);
      const resp = await discover(this.deps.store, this.deps.settings.publicUrl, d);
      return buildDiscoverResponse(resp, { relatesTo: req.messageId, activityId });
    });
  }

  policy(body: Buffer, cred: PresentedCredential = {}): Promise<SoapReply> {
    return this.run(body, GET_POLICIES_ACTION, GET_POLICIES_RESPONSE_ACTION, async (req, activityId) => {
      parseGetPoliciesRequest(req);
      // A renewing device may ask for policies with only its client certificate: an active
      // certificate of an enrolled device, by the same rule as a management session.
      const renewing = !req.securityToken && !req.usernameToken && (await enrolledCertificate(this.deps, cred));
      if (!renewing) await authenticateEnrollment(this.deps, req, cred.clientAddress);
      const s = this.deps.settings;
      return buildGetPoliciesResponse(
        { minimalKeyLength: s.minRsaBits, validitySeconds: s.certValidityDays * 86400, renewalSeconds: s.renewPeriodDays * 86400 },
        { relatesTo: req.messageId, activityId },
      );
    });
  }

  enrollment(body: Buffer, cred: PresentedCredential = {}): Promise<SoapReply> {
    return this.run(body, RST_ACTION, RSTRC_ACTION, async (req, activityId) => {
      const rst = parseRstRequest(req);
      const now = this.deps.now();
      if (cred.certError) throw new SoapFault('s:Authentication', `The forwarded client certificate is malformed: ${cred.certError}`);
      if (rst.requestKind === 'renew') {
        const r = await renew(this.deps, rst, cred.certDer);
        this.log.info({ traceId: activityId, device: r.devicePk, serial: r.serial }, 'certificate renewed');
        return buildRstrResponse(r.provisioningDoc, { relatesTo: req.messageId, activityId, now });
      }
      if (rst.requestKind === 'recovery') {
        throw new SoapFault('s:Authorization', 'Certificate recovery is not offered by this server', 'NotSupported');
      }
      const principal = await authenticateEnrollment(this.deps, req, cred.clientAddress, true);
      if (rst.tokenKind !== 'pkcs10') throw new SoapFault('s:MessageFormat', 'A new enrollment carries a PKCS#10 request');
      const r = await enroll(this.deps, principal, rst, cred.certDer);
      if (r.provisioningError)
        this.log.warn({ traceId: activityId, device: r.device.id, err: r.provisioningError }, 'no profiles in the provisioning document');
      this.log.info(
        { traceId: activityId, device: r.device.id, enrollmentType: r.device.enrollmentType, auth: r.device.authMethod, provisioned: r.provisioned.length },
        'device enrolled',
      );
      return buildRstrResponse(r.provisioningDoc, { relatesTo: req.messageId, activityId, now });
    });
  }
}
