// The client certificate presented on this TLS connection, if any (requested, never required).
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

export function peerCertificateDer(request: FastifyRequest): Buffer | undefined {
  const socket = request.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate(false);
  return cert && cert.raw && cert.raw.length ? cert.raw : undefined;
}
