/**
 * Typed errors for the certificate authority code. `reason` is a stable,
 * machine-readable code that the enrollment service maps to a SOAP fault;
 * `message` is for logs and may change.
 */
export type PkiErrorReason =
  | 'invalid-input' // caller passed something unusable (bad option, empty name, ...)
  | 'invalid-pem' // PEM text could not be decoded
  | 'too-large' // input exceeds the size limit
  | 'malformed' // not valid DER / unexpected ASN.1 structure / truncated / trailing bytes
  | 'unsupported-version' // CSR / SignedData / SignerInfo version we do not accept
  | 'unsupported-algorithm' // unknown or disallowed signature / digest algorithm
  | 'unsupported-key' // key type or curve we do not accept
  | 'weak-key' // key below policy (e.g. RSA < 2048 bits)
  | 'algorithm-mismatch' // signature algorithm does not fit the key type
  | 'bad-signature' // signature does not verify
  | 'key-mismatch' // private key does not belong to the certificate
  | 'not-a-ca' // certificate is not a CA certificate
  | 'ca-expired' // the CA certificate is not valid at the requested time
  | 'content-missing' // PKCS#7 without encapsulated content (detached)
  | 'signer-not-found' // PKCS#7 signer certificate is not in the certificate set
  | 'message-digest-mismatch'; // PKCS#7 messageDigest attribute != hash(content)

export class PkiError extends Error {
  readonly reason: PkiErrorReason;

  constructor(reason: PkiErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PkiError';
    this.reason = reason;
  }
}
