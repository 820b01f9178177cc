// Windows editions by number: the OSEdition a device sends at enrollment (MS-MDE2 2.2.9.6, the
// product types of GetProductInfo / Win32_OperatingSystem.OperatingSystemSKU). The names are the
// editions' marketing names without "Windows"; numbers not in this table keep their number.

const EDITIONS: Record<number, string> = {
  0: 'Undefined',
  1: 'Ultimate',
  2: 'Home Basic',
  3: 'Home Premium',
  4: 'Enterprise',
  5: 'Home Basic N',
  6: 'Business',
  7: 'Server Standard',
  8: 'Server Datacenter',
  9: 'Small Business Server',
  10: 'Server Enterprise',
  11: 'Starter',
  12: 'Server Datacenter (core)',
  13: 'Server Standard (core)',
  14: 'Server Enterprise (core)',
  16: 'Business N',
  17: 'Web Server',
  27: 'Enterprise N',
  28: 'Ultimate N',
  48: 'Pro',
  49: 'Pro N',
  70: 'Enterprise E',
  72: 'Enterprise Evaluation',
  84: 'Enterprise N Evaluation',
  98: 'Home N',
  99: 'Home China',
  100: 'Home Single Language',
  101: 'Home',
  103: 'Pro with Media Center',
  104: 'Mobile',
  121: 'Education',
  122: 'Education N',
  123: 'IoT Core',
  125: 'Enterprise LTSC',
  126: 'Enterprise LTSC N',
  129: 'Enterprise LTSC Evaluation',
  130: 'Enterprise LTSC N Evaluation',
  131: 'IoT Core Commercial',
  133: 'Mobile Enterprise',
  136: 'Holographic',
  138: 'Pro Single Language',
  139: 'Pro China',
  161: 'Pro for Workstations',
  162: 'Pro for Workstations N',
  164: 'Pro Education',
  165: 'Pro Education N',
  171: 'Enterprise G',
  172: 'Enterprise G N',
  175: 'Enterprise multi-session',
  188: 'IoT Enterprise',
  191: 'IoT Enterprise LTSC',
  203: 'SE',
};

/** The edition a device reported (a decimal number as text): its number and name. */
export function edition(reported: string | undefined): { code?: number; name?: string } {
  if (reported === undefined || !/^\d{1,10}$/.test(reported.trim())) return reported ? { name: reported } : {};
  const code = Number(reported.trim());
  return { code, name: EDITIONS[code] ?? `Unknown edition ${code}` };
}

/** The numbers an `edition` filter means: a number as is, else every edition of that name (case-insensitive). */
export function editionCodes(filter: string): number[] {
  const f = filter.trim();
  if (/^\d{1,10}$/.test(f)) return [Number(f)];
  const name = f.toLowerCase();
  return Object.entries(EDITIONS)
    .filter(([, n]) => n.toLowerCase() === name)
    .map(([c]) => Number(c));
}
