// Throttling of password guessing (enrollment UsernameToken, OMA-DM digest). Pure logic with an
// injectable clock, in memory, per process (replicas each keep their own: an attacker spread over
// N processes gets N times the budget, which the back-off still keeps small).
//
// Two keyspaces, each a bounded LRU of failure records:
//   - per client address: a few free failures, then exponential back-off up to 15 minutes. This
//     is what stops a guesser: it hits the attacker's address, never the account's owner.
//     One failure is forgiven per minute, so the occasional typo of the many users behind one
//     NAT never adds up to a back-off, while a guesser is held to about one try a minute.
//   - per account (username, device): more free failures, then a short back-off (at most a
//     minute) that ends on the account's next success. A distributed guesser gets about one try
//     a minute per account; the owner is never locked out for long. Lockout is a DoS vector, so:
//     an address that logged in to the account recently is exempt from the account's back-off.
// Refused attempts are not failures (they cost nothing and do not lengthen the back-off).
// Unknown accounts are keyed and throttled exactly like known ones (no enumeration).

export interface BackoffPolicy {
  /** Failures before the back-off starts (base, then doubling with each further failure). */
  freeFailures: number;
  baseMs: number;
  maxMs: number;
  /** One failure is forgiven per this many milliseconds (a record at 0 is dropped). */
  leakMs: number;
  /** Records kept (least recently used dropped first). */
  maxKeys: number;
}

export const ADDRESS_POLICY: BackoffPolicy = { freeFailures: 10, baseMs: 1000, maxMs: 15 * 60_000, leakMs: 60_000, maxKeys: 100_000 };
export const ACCOUNT_POLICY: BackoffPolicy = { freeFailures: 5, baseMs: 1000, maxMs: 60_000, leakMs: 60_000, maxKeys: 100_000 };
/** How long a success exempts its (account, address) pair from the account's back-off. */
export const TRUSTED_PAIR_MS = 24 * 3600_000;

interface Rec {
  failures: number;
  /** Failures are counted as of this time (advanced by whole leak periods). */
  at: number;
  until: number;
}

/** One keyspace: failures and back-off per key, bounded in size. */
export class Backoff {
  private readonly recs = new Map<string, Rec>();
  private readonly policy: BackoffPolicy;
  private readonly now: () => number;

  constructor(policy: BackoffPolicy, now: () => number = Date.now) {
    this.policy = policy;
    this.now = now;
  }

  get size(): number {
    return this.recs.size;
  }

  /** Milliseconds until `key` may try again; 0 if it may now. */
  retryAfterMs(key: string): number {
    const r = this.live(key);
    return r ? Math.max(0, r.until - this.now()) : 0;
  }

  fail(key: string): void {
    const now = this.now();
    const r = this.live(key) ?? { failures: 0, at: now, until: 0 };
    r.failures++;
    const over = r.failures - this.policy.freeFailures;
    if (over >= 0) r.until = now + Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** Math.min(over, 30));
    this.recs.delete(key);
    this.recs.set(key, r);
    if (this.recs.size > this.policy.maxKeys) this.recs.delete(this.recs.keys().next().value!);
  }

  reset(key: string): void {
    this.recs.delete(key);
  }

  private live(key: string): Rec | undefined {
    const r = this.recs.get(key);
    if (!r) return undefined;
    const now = this.now();
    const leaked = Math.floor((now - r.at) / this.policy.leakMs);
    if (leaked > 0) {
      r.failures = Math.max(0, r.failures - leaked);
      r.at += leaked * this.policy.leakMs;
    }
    if (r.failures === 0 && now >= r.until) {
      this.recs.delete(key);
      return undefined;
    }
    if (r.failures === 0) r.at = now;
    return r;
  }
}

export type ThrottleVerdict = { ok: true } | { ok: false; scope: 'address' | 'account'; retryAfterSeconds: number };

export class LoginThrottle {
  private readonly addresses: Backoff;
  private readonly accounts: Backoff;
  /** (account, address) pairs that succeeded, with when: exempt from the account back-off. */
  private readonly trusted = new Map<string, number>();
  private readonly opts: { address?: BackoffPolicy; account?: BackoffPolicy; trustedPairMs?: number };
  private readonly now: () => number;

  constructor(opts: { address?: BackoffPolicy; account?: BackoffPolicy; trustedPairMs?: number } = {}, now: () => number = Date.now) {
    this.opts = opts;
    this.now = now;
    this.addresses = new Backoff(opts.address ?? ADDRESS_POLICY, now);
    this.accounts = new Backoff(opts.account ?? ACCOUNT_POLICY, now);
  }

  /** Before verifying a credential: may this address try this account now? */
  check(account: string, address: string | undefined): ThrottleVerdict {
    const a = address ? this.addresses.retryAfterMs(address) : 0;
    if (a > 0) return { ok: false, scope: 'address', retryAfterSeconds: Math.ceil(a / 1000) };
    const u = this.accounts.retryAfterMs(account);
    if (u > 0 && !this.isTrusted(account, address)) return { ok: false, scope: 'account', retryAfterSeconds: Math.ceil(u / 1000) };
    return { ok: true };
  }

  failed(account: string, address: string | undefined): void {
    if (address) this.addresses.fail(address);
    this.accounts.fail(account);
  }

  succeeded(account: string, address: string | undefined): void {
    this.accounts.reset(account);
    if (!address) return;
    const k = pairKey(account, address);
    this.trusted.delete(k);
    this.trusted.set(k, this.now());
    if (this.trusted.size > (this.opts.account ?? ACCOUNT_POLICY).maxKeys) this.trusted.delete(this.trusted.keys().next().value!);
  }

  private isTrusted(account: string, address: string | undefined): boolean {
    if (!address) return false;
    const at = this.trusted.get(pairKey(account, address));
    return at !== undefined && this.now() - at < (this.opts.trustedPairMs ?? TRUSTED_PAIR_MS);
  }
}

const pairKey = (account: string, address: string) => `${account}\n${address}`;
