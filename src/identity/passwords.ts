// Enrollment-account passwords: scrypt (memory-hard, in node:crypto), constant-time compare.
import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

const N = 1 << 15;
const R = 8;
const P = 1;
const LEN = 32;
const MAXMEM = 64 * 1024 * 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password, salt, LEN, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

// A fixed hash to burn the same time when the username does not exist.
let dummy: Promise<string> | undefined;

/**
 * Passwords verified in the last VERIFIED_TTL_MS: a device enrolling with an account sends the
 * same credentials to GetPolicies and then to RequestSecurityToken seconds apart, and scrypt is
 * deliberately expensive (~0.1 s of CPU). Keyed by an HMAC under a per-process random key of
 * (stored hash, password): a changed password or a deleted account never matches, and nothing
 * here outlives the process. Only successes are remembered.
 */
const VERIFIED_TTL_MS = 120_000;
const VERIFIED_MAX = 10_000;
const verifiedKey = crypto.randomBytes(32);
const verified = new Map<string, number>();
const verifiedId = (password: string, stored: string) => crypto.createHmac('sha256', verifiedKey).update(stored).update('\0').update(password).digest('base64');

/** The hashing queue is full: answer "busy, try again" without hashing. */
export class PasswordHashBusyError extends Error {
  constructor() {
    super('password hashing is saturated');
  }
}

export type HashLane = 'known' | 'unknown';

/**
 * Bounded queue for scrypt: at most `concurrency` hashes at once (each holds a libuv thread and
 * 32 MiB), at most `maxWaiting[lane]` waiting, beyond that PasswordHashBusyError at once. Two
 * lanes: checks against an existing account go first and may use every slot; the dummy hashes
 * of unknown usernames (what a guessing flood mostly is) leave one slot free for them and have
 * a short queue, so such a flood is shed instead of starving real users. Without load both cost
 * the same; under overload, who is served first tells an attacker which usernames exist — the
 * price of staying available.
 */
export class HashQueue {
  private readonly running: Record<HashLane, number> = { known: 0, unknown: 0 };
  private readonly waiting: Record<HashLane, (() => void)[]> = { known: [], unknown: [] };
  readonly concurrency: number;
  readonly maxWaiting: Record<HashLane, number>;

  constructor(concurrency = 2, maxWaiting: Record<HashLane, number> = { known: 64, unknown: 8 }) {
    this.concurrency = concurrency;
    this.maxWaiting = maxWaiting;
  }

  async run<T>(lane: HashLane, fn: () => Promise<T>): Promise<T> {
    if (this.mayStart(lane)) {
      this.running[lane]++;
    } else {
      if (this.waiting[lane].length >= this.maxWaiting[lane]) throw new PasswordHashBusyError();
      // The slot is counted for us by whoever hands it over (release).
      await new Promise<void>((resolve) => this.waiting[lane].push(resolve));
    }
    try {
      return await fn();
    } finally {
      this.release(lane);
    }
  }

  private mayStart(lane: HashLane): boolean {
    const busy = this.running.known + this.running.unknown;
    if (busy >= this.concurrency) return false;
    return lane === 'known' || this.running.unknown < Math.max(1, this.concurrency - 1);
  }

  private release(lane: HashLane): void {
    this.running[lane]--;
    for (const next of ['known', 'unknown'] as const) {
      if (this.waiting[next].length && this.mayStart(next)) {
        this.running[next]++;
        this.waiting[next].shift()!();
        return;
      }
    }
  }
}

const defaultQueue = new HashQueue();

export async function verifyPassword(password: string, stored: string | undefined, queue: HashQueue = defaultQueue): Promise<boolean> {
  if (!stored) {
    dummy ??= hashPassword('fenestra-dummy-password');
    const d = await dummy;
    await queue.run('unknown', () => verifyScrypt(password, d));
    return false;
  }
  const id = verifiedId(password, stored);
  const until = verified.get(id);
  if (until !== undefined && until > Date.now()) return true;
  const ok = await queue.run('known', () => verifyScrypt(password, stored));
  if (ok) {
    if (verified.size >= VERIFIED_MAX) verified.clear();
    verified.set(id, Date.now() + VERIFIED_TTL_MS);
  }
  return ok;
}

async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts;
  const expected = Buffer.from(hashB64, 'base64');
  const got = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return got.length === expected.length && crypto.timingSafeEqual(got, expected);
}
