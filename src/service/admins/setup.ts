// The first owner's one-time setup code: issued at start-up while there is no administrator
// (and by `fenestra admins setup-link`), printed as a link, stored hashed, valid 24 hours; each
// new one replaces the previous one.
import type { Store } from '../../store/types.js';
import { randomSecret, sha256Hex } from './secrets.js';

const SETUP_CODE_MS = 24 * 3600_000;

/** A fresh code while no administrator exists; undefined once one does. */
export async function issueSetupCode(store: Store, now: Date = new Date()): Promise<string | undefined> {
  if ((await store.admins.count()) > 0) return undefined;
  const code = randomSecret();
  await store.admins.putSetupCode(sha256Hex(code), now.toISOString(), new Date(now.getTime() + SETUP_CODE_MS).toISOString());
  return code;
}

/** Where the console's set-up page is, with the code. */
export const setupLink = (adminBaseUrl: string, code: string): string => `${adminBaseUrl}/console/setup?code=${encodeURIComponent(code)}`;
