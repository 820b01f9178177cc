// Profiles, their assignments and groups, and where each stands on each device (deliveries).

export interface ProfileRecord {
  id: string;
  name: string;
  kind: string;
  scope: 'user' | 'device';
  /** Settings as stored: secrets sealed (identity/secret-box). */
  settings: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
  /** What the profile's compilation saw of the certificate profiles it refers to (by ref), at this version. */
  context?: Record<string, unknown>;
}

/** 'entraGroup': a Microsoft Entra security group by object ID, its membership synced from Graph. */
export type AssignmentTarget = 'user' | 'group' | 'device' | 'all' | 'entraGroup';

export interface Assignment {
  profileId: string;
  targetType: AssignmentTarget;
  /** Entra oid or UPN (user), group id, device id, Entra group object ID (lower case), or '*' (all). */
  targetId: string;
  createdAt: string;
}

export interface Group {
  id: string;
  name: string;
  kind: 'user' | 'device';
  createdAt: string;
}

/** An Entra group fenestra watches (an assignment targets it): its membership is synced from Microsoft Graph. */
export interface EntraGroup {
  /** The group's object ID (lower case). */
  id: string;
  tenantId: string;
  displayName?: string;
  /** What its members are, as of the last sync (users, devices, both, or none yet). */
  kind?: 'user' | 'device' | 'mixed' | 'empty';
  /** It holds other groups: synced by a transitive re-read each time (groups/delta lists direct members only). */
  nested: boolean;
  /** The @odata.deltaLink of the last round (absent: the next sync reads the group in full). */
  deltaLink?: string;
  memberCount: number;
  lastSyncAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  createdAt: string;
}

/** A member of an Entra group: its directory object ID and the principal targeting uses (a user's OID, a device's Entra device ID). */
export interface EntraGroupMember {
  objectId: string;
  principal: string;
}

/** Where one profile stands for one device and user. */
export type DeliveryStatus = 'pending' | 'held' | 'delivered' | 'verified' | 'failed' | 'removing' | 'removed';

/** Why a delivery is held (decides when it is tried again). */
export type DeliveryHold = 'no-user' | 'dependency' | 'refused-no-user' | 'refused-with-user';

export interface ProfileDelivery {
  devicePk: string;
  /** '' = device tree (device-scope profiles, and user-scope ones held while nobody is signed in); else the Entra oid. */
  userKey: string;
  upn?: string;
  profileId: string;
  /** The profile version this row is about (desired when planned). */
  version: number;
  /** The version whose nodes the device acknowledged in full (diff base); undefined = unknown / none. */
  appliedVersion?: number;
  status: DeliveryStatus;
  /** Why held, what failed (SyncML status and LocURI), … */
  detail?: string;
  hold?: DeliveryHold;
  /** The command batch in flight or last sent for this row. */
  batch?: string;
  updatedAt: string;
}
