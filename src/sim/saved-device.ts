// A simulated device as the state file keeps it, and back: its DeviceID, key pair, certificate
// and the rest of what enrollment gave it (DM credentials included), its DM tree, the users
// signed in, and where it stands in its poll schedule — so that a later `fenestra sim` run acts
// as the same device (same certificate, same digest nonce, same ./User trees) without enrolling.
import crypto from 'node:crypto';
import path from 'node:path';
import { SimDevice, type Enrollment } from './device.js';
import type { SavedApps } from './apps/apps.js';
import type { SavedEsp } from './esp.js';
import type { DeviceInventory, SavedDmTree } from './dm-tree.js';

export interface SavedDevice {
  deviceId: string;
  /** PKCS#8 PEM: the state file is written mode 0600 for this. */
  privateKeyPem: string;
  auth: 'certificate' | 'digest';
  maxMsgSize?: number;
  inventory: DeviceInventory;
  enrollment: Enrollment;
  state: 'enrolled' | 'unenrolled';
  wiped: boolean;
  /** Sessions held so far (the next SessionID). */
  sessions: number;
  tree: SavedDmTree;
  /** Entra user tokens signed in, in sign-in order (the last one is at the console). */
  users: string[];
  enrolledAt: string;
  lastCheckinAt?: string;
  /** Scheduled check-ins done under the current DMClient Poll values (see poll-schedule.ts). */
  poll?: { schedule: string; done: number };
  /** App install jobs and the alerts not yet sent (src/sim/apps). */
  apps?: SavedApps;
  /** The Enrollment Status Page's phases (src/sim/esp.ts). */
  esp?: SavedEsp;
}

/** What a run keeps beside the SimDevice itself. */
export type DeviceMeta = Pick<SavedDevice, 'auth' | 'maxMsgSize' | 'enrolledAt' | 'lastCheckinAt' | 'poll'>;

export function saveDevice(dev: SimDevice, meta: DeviceMeta): SavedDevice {
  if (!dev.enrollment) throw new Error(`device ${dev.deviceId} is not enrolled`);
  return {
    deviceId: dev.deviceId,
    privateKeyPem: dev.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    ...meta,
    inventory: dev.inventory,
    enrollment: dev.enrollment,
    state: dev.state === 'unenrolled' ? 'unenrolled' : 'enrolled',
    wiped: dev.wiped,
    sessions: dev.sessions,
    tree: dev.tree.save(),
    users: dev.users.flatMap((u) => ('token' in u ? [u.token] : [])),
    apps: dev.apps.save(),
    esp: dev.esp.save(),
  };
}

export interface Connection {
  url: string;
  ca?: string;
  connectTo?: { host: string; port: number };
  timeoutMs?: number;
  /** Where the devices' app packages are downloaded (one directory per device under it). */
  appDir?: string;
}

/** The SimDevice a saved record describes (the record was checked by the state file reader). */
export function restoreDevice(s: SavedDevice, conn: Connection): SimDevice {
  const privateKey = crypto.createPrivateKey(s.privateKeyPem);
  const dev = new SimDevice({
    ...conn,
    // A restored device never enrolls again: no enrollment credential is kept.
    credential: {
      kind: 'entra',
      token: () => {
        throw new Error('a device restored from a state file does not enroll again');
      },
    },
    enrollmentType: s.enrollment.enrollmentType,
    auth: s.auth,
    maxMsgSize: s.maxMsgSize,
    deviceId: s.deviceId,
    inventory: s.inventory,
    keyPair: { privateKey, publicKey: crypto.createPublicKey(privateKey) },
    appDir: conn.appDir ? path.join(conn.appDir, s.deviceId) : undefined,
  });
  dev.tree.load(s.tree);
  // Trees saved before the app CSPs were simulated get their nodes now.
  dev.apps.seed(null);
  for (const k of dev.tree.userKeys()) dev.apps.seed(k);
  dev.apps.load(s.apps);
  dev.enrollment = s.enrollment;
  dev.state = s.state;
  dev.wiped = s.wiped;
  dev.sessions = s.sessions;
  // Before the users sign in again: their pages opened at their first sign-in, not now.
  dev.esp.load(s.esp);
  dev.esp.seed(null);
  for (const k of dev.tree.userKeys()) dev.esp.seed(k);
  for (const token of s.users) dev.signIn({ token });
  if (!s.esp) dev.esp.load(undefined); // saved before the page was simulated: no page opens for those users now
  dev.registerPush();
  return dev;
}
