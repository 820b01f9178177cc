/** Shared helpers for the PKI tests. */
import * as crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CertificateAuthority, generateCa } from '../../src/pki/ca.js';
import { PkiError } from '../../src/pki/errors.js';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/pki');

export function readRealWindowsCsr(): Buffer {
  return Buffer.from(readFileSync(join(FIXTURES, 'windows-real-csr.b64'), 'utf8').trim(), 'base64');
}

/** A key pair as generateKeyPairSync returns it (the type has no name in every @types/node). */
export type KeyPair = { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject };

export function rsaKeys(bits = 2048): KeyPair {
  return crypto.generateKeyPairSync('rsa', { modulusLength: bits });
}

export function ecKeys(namedCurve = 'P-256'): KeyPair {
  return crypto.generateKeyPairSync('ec', { namedCurve });
}

export function spkiOf(key: crypto.KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

export function newCa(commonName = 'Fenestra Test CA'): { ca: CertificateAuthority; certPem: string; keyPem: string } {
  const { certPem, keyPem } = generateCa({ commonName });
  return { ca: CertificateAuthority.fromPem(certPem, keyPem), certPem, keyPem };
}

/** Runs `fn`, returning the PkiError reason it throws (or a marker when it does not throw one). */
export function reasonOf(fn: () => unknown): string {
  try {
    fn();
    return '(no error)';
  } catch (e) {
    return e instanceof PkiError ? e.reason : `(non-PkiError: ${String(e)})`;
  }
}

export function flipByte(buf: Buffer, index: number): Buffer {
  const copy = Buffer.from(buf);
  const i = index < 0 ? copy.length + index : index;
  copy[i] ^= 0x01;
  return copy;
}

export const hasOpenssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;

export function openssl(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Temporary directory removed when the test ends. */
export function tempDir(t: { teardown: (fn: () => void) => void }): { dir: string; write: (name: string, data: string | Buffer) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'fenestra-pki-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, data) {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
  };
}
