// A certificate and key given by the operator belong together: checked when the configuration is
// read, because a mismatched TLS pair fails every handshake later with nothing logged. Files that
// cannot be read are left to bootstrap, which says so when it loads them.
import crypto from 'node:crypto';
import fs from 'node:fs';

function readable(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A problem naming both variables, or undefined when the pair matches (or cannot be read yet). */
export function keyPairProblem(pair: { certFile: string; keyFile: string }, certVar: string, keyVar: string): string | undefined {
  const certPem = readable(pair.certFile);
  const keyPem = readable(pair.keyFile);
  if (certPem === undefined || keyPem === undefined) return undefined;
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(certPem);
  } catch {
    return `${certVar} (${pair.certFile}) holds no PEM certificate`;
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(keyPem);
  } catch {
    // An encrypted key needs a passphrase fenestra does not take.
    return `${keyVar} (${pair.keyFile}) holds no unencrypted PEM private key`;
  }
  return cert.checkPrivateKey(key)
    ? undefined
    : `${certVar} (${pair.certFile}) and ${keyVar} (${pair.keyFile}) do not match: the certificate is not for this key`;
}
