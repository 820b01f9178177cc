/** Small DER / PEM / thumbprint helpers. */
import { createHash } from 'node:crypto';
import { PkiError } from './errors.js';

/** SHA-1 over the DER bytes, as 40 uppercase hex chars (the Windows certificate thumbprint). */
export function sha1Thumbprint(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** Decodes the first PEM block of `pem` (any label) to DER. Throws PkiError('invalid-pem'). */
export function pemToDer(pem: string): Buffer {
  const m = PEM_BLOCK.exec(pem);
  if (!m) throw new PkiError('invalid-pem', 'no PEM block found');
  const body = m[2].replace(/\s+/g, '');
  if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
    throw new PkiError('invalid-pem', `PEM block "${m[1]}" has invalid base64`);
  }
  return Buffer.from(body, 'base64');
}

/** Encodes DER as PEM with 64-character lines and a trailing newline. */
export function derToPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
