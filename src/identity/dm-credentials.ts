// Per-device OMA-DM digest credentials (syncml:auth-md5). The device gets the secrets in its
// provisioning document; we keep only H = b64(md5(name:secret)), which is all MD5 digest
// verification needs (MS-MDM §1.3.1; OMA DM Security).
import crypto from 'node:crypto';

export function digestOf(name: string, secret: string): string {
  return crypto.createHash('md5').update(`${name}:${secret}`).digest('base64');
}

/** b64(md5(H + ":" + nonceBytes)): what a peer sends in Cred/Data for syncml:auth-md5. */
export function md5Response(h: string, nonce: Buffer): string {
  return crypto
    .createHash('md5')
    .update(Buffer.concat([Buffer.from(`${h}:`), nonce]))
    .digest('base64');
}

export interface DmCredentials {
  /** Device → server (APPSRV). */
  username: string;
  password: string;
  passwordDigest: string;
  /** Server → device (CLIENT). */
  serverName: string;
  serverSecret: string;
  serverDigest: string;
  /** Initial nonce (AAUTHDATA), base64. */
  nonce: string;
}

const secret = () => crypto.randomBytes(24).toString('base64url');

export function generateDmCredentials(deviceId: string, serverName: string): DmCredentials {
  const password = secret();
  const serverSecret = secret();
  return {
    username: deviceId,
    password,
    passwordDigest: digestOf(deviceId, password),
    serverName,
    serverSecret,
    serverDigest: digestOf(serverName, serverSecret),
    nonce: crypto.randomBytes(16).toString('base64'),
  };
}
