// Which client certificate reached us: one rule for every device-facing route
// (management sessions, and the enrollment routes where a renewing or re-enrolling device proves
// itself). From a trusted TLS-terminating proxy, the certificate it forwards in its header; from
// anyone else, only the TLS connection's own peer certificate (their headers are ignored).
import type { FastifyRequest } from 'fastify';
import { compileTrustedProxies, extractForwardedCert, type ProxyCertFormat } from '../identity/proxy-cert.js';
import type { PresentedCredential } from '../service/management/auth.js';
import { clientAddress } from './client-address.js';
import { peerCertificateDer } from './tls-peer.js';

export interface TrustedProxies {
  proxies: string[];
  format: ProxyCertFormat;
}

export type CredentialOf = (request: FastifyRequest) => PresentedCredential;

export function clientCredential(trustedProxies?: TrustedProxies): CredentialOf {
  const trusted = trustedProxies ? compileTrustedProxies(trustedProxies.proxies) : undefined;
  const format = trustedProxies?.format;
  return (request) => {
    // Who is asking (for the login throttle): by the same trusted-proxy rule.
    const from = clientAddress(request.socket.remoteAddress, request.headers, trusted);
    if (trusted && format && trusted(request.socket.remoteAddress)) {
      const fwd = extractForwardedCert(request.headers, format);
      if (fwd instanceof Error) return { certError: fwd.message, clientAddress: from };
      if (fwd) return { certDer: fwd, clientAddress: from };
    }
    return { certDer: peerCertificateDer(request), clientAddress: from };
  };
}
