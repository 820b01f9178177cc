// How guessable a configured bearer token is. Not a password meter: it refuses what a person
// typed or copied from an example (one character class, few distinct characters, a repeated
// pattern, a well-known word) and what is too short for 128 bits, and accepts what
// `openssl rand -base64 32` or `-hex 32` prints.

const WORDS = [
  'changeme',
  'change-me',
  'change_me',
  'password',
  'passw0rd',
  'admin',
  'secret',
  'token',
  'fenestra',
  'example',
  'default',
  'letmein',
  'qwerty',
  '123456',
  'abcdef',
];
const CLASSES: [RegExp, number][] = [
  [/[a-z]/, 26],
  [/[A-Z]/, 26],
  [/[0-9]/, 10],
  [/[^A-Za-z0-9]/, 32],
];

/** Bits of a token drawn uniformly from the character classes it uses. */
export function tokenBits(token: string): number {
  const pool = CLASSES.reduce((n, [re, size]) => (re.test(token) ? n + size : n), 0);
  return pool > 1 ? token.length * Math.log2(pool) : 0;
}

/** Why `token` is too weak for a production admin token, or undefined. */
export function weakTokenReason(token: string): string | undefined {
  const lower = token.toLowerCase();
  const word = WORDS.find((w) => lower.includes(w));
  if (word) return `contains the well-known word "${word}"`;
  if (CLASSES.filter(([re]) => re.test(token)).length < 2) return 'uses one character class only';
  if (/^(.+?)\1+$/.test(token)) return 'is a repeated pattern';
  if (new Set(token).size < 10) return 'has fewer than 10 distinct characters';
  const bits = tokenBits(token);
  if (bits < 128) return `is too short (about ${Math.floor(bits)} bits; 128 needed)`;
  return undefined;
}
