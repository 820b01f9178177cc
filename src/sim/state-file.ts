// The simulator's state file (`fenestra sim --state FILE`): the fleet it enrolled, so that a later
// run checks the same devices in again. JSON, written whole to a temporary file then renamed
// over the old one (a crash leaves the old file or the new one, never half of one), mode 0600:
// it holds the devices' private keys, DM credentials and user tokens.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SavedDevice } from './saved-device.js';

export const STATE_KIND = 'fenestra-sim-state';

export interface SimState {
  kind: typeof STATE_KIND;
  version: 1;
  /** The server's public URL the devices enrolled with. */
  url: string;
  /** Trust anchor PEM given at enrollment (--ca), kept so later runs need not repeat it. */
  ca?: string;
  /** --connect HOST:PORT given at enrollment. */
  connect?: string;
  devices: SavedDevice[];
}

/** A state file that cannot be used: the message names the file and what is wrong. */
export class StateFileError extends Error {
  constructor(file: string, message: string) {
    super(`state file ${file}: ${message}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Read and check a state file. `missingOk`: undefined instead of an error when there is no file. */
export function readStateFile(file: string, missingOk = false): SimState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (missingOk) return undefined;
      throw new StateFileError(file, `not found (devices are saved there by: fenestra sim enroll --state ${file} ...)`);
    }
    throw new StateFileError(file, code ?? (err as Error).message);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(file, `not JSON (${(err as Error).message})`);
  }
  const problem = checkState(v);
  if (problem) throw new StateFileError(file, problem);
  return v as SimState;
}

/** What is wrong with a parsed state file, or undefined. Deep checks of a device happen when it is restored. */
function checkState(v: unknown): string | undefined {
  if (!isObj(v) || v.kind !== STATE_KIND) return `not a fenestra sim state file (no "kind": "${STATE_KIND}")`;
  if (v.version !== 1) return `version ${JSON.stringify(v.version)} is not one this fenestra reads (1)`;
  if (typeof v.url !== 'string' || !v.url.startsWith('https://')) return 'url: not an https:// URL';
  if (v.ca !== undefined && typeof v.ca !== 'string') return 'ca: not a PEM string';
  if (v.connect !== undefined && typeof v.connect !== 'string') return 'connect: not a HOST:PORT string';
  if (!Array.isArray(v.devices)) return 'devices: not an array';
  const seen = new Set<string>();
  for (const [i, d] of v.devices.entries()) {
    const at = `devices[${i}]`;
    if (!isObj(d)) return `${at}: not an object`;
    if (typeof d.deviceId !== 'string' || !d.deviceId) return `${at}.deviceId: not a string`;
    if (seen.has(d.deviceId)) return `${at}.deviceId: ${d.deviceId} appears twice`;
    seen.add(d.deviceId);
    if (typeof d.privateKeyPem !== 'string') return `${at}.privateKeyPem: not a string`;
    try {
      crypto.createPrivateKey(d.privateKeyPem);
    } catch {
      return `${at}.privateKeyPem: not a private key`;
    }
    if (d.auth !== 'certificate' && d.auth !== 'digest') return `${at}.auth: not certificate or digest`;
    if (d.state !== 'enrolled' && d.state !== 'unenrolled') return `${at}.state: not enrolled or unenrolled`;
    if (!Number.isSafeInteger(d.sessions) || (d.sessions as number) < 0) return `${at}.sessions: not a count`;
    if (!isObj(d.inventory)) return `${at}.inventory: not an object`;
    if (!isObj(d.tree) || !isObj(d.tree.device) || !isObj(d.tree.users)) return `${at}.tree: not a saved DM tree`;
    if (!Array.isArray(d.users) || d.users.some((u) => typeof u !== 'string')) return `${at}.users: not a list of tokens`;
    if (d.apps !== undefined && (!isObj(d.apps) || !Array.isArray(d.apps.jobs) || !Array.isArray(d.apps.alerts))) return `${at}.apps: not saved app jobs`;
    if (d.esp !== undefined && (!isObj(d.esp) || !Array.isArray(d.esp.phases))) return `${at}.esp: not a saved Enrollment Status Page`;
    const e = d.enrollment;
    if (!isObj(e)) return `${at}.enrollment: not an object`;
    for (const k of ['providerId', 'managementUrl', 'certificatePem'] as const) if (typeof e[k] !== 'string') return `${at}.enrollment.${k}: not a string`;
    if (e.enrollmentType !== 'Device' && e.enrollmentType !== 'Full') return `${at}.enrollment.enrollmentType: not Device or Full`;
    try {
      new crypto.X509Certificate(e.certificatePem as string);
    } catch {
      return `${at}.enrollment.certificatePem: not a certificate`;
    }
  }
  return undefined;
}

/** Write the whole state: temporary file (0600) in the same directory, fsync, rename. */
export function writeStateFile(file: string, s: SimState): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, JSON.stringify(s) + '\n');
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new StateFileError(file, `cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new StateFileError(file, `cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Hold FILE.lock while a run may write FILE: two runs on one fleet would each hold their own
 * copy of the devices (session counters, digest nonces, users) and the last to save would undo
 * the other. A lock left by a process that is gone is taken over. Returns the release function.
 */
export function lockStateFile(file: string): () => void {
  const lock = `${file}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        throw new StateFileError(file, `cannot lock (${lock}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const pid = Number(fs.readFileSync(lock, 'utf8').trim());
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
      throw new StateFileError(file, `in use by another fenestra sim (process ${pid}); stop it first, or use another file`);
    }
    fs.rmSync(lock, { force: true }); // left by a process that is gone
  }
  let held = true;
  return () => {
    if (held) fs.rmSync(lock, { force: true });
    held = false;
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
