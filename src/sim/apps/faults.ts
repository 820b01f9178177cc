// Failures the simulated app CSPs can be told to produce (`fenestra sim --app-fault …`, or
// `device.apps.faults` from a test), each as Windows reports it.

export interface AppFaults {
  /** The first download attempt of each job loses its connection after this many bytes; the next attempt resumes with Range (MSI Status 25 in between). */
  cutDownloadAfter?: number;
  /** The downloaded bytes are corrupted: the hash check fails (MSI 30, TRUST_E_BAD_DIGEST; MSIX 2, block map). */
  hash?: boolean;
  /** The installer fails (MSI 60 with msiexec's 0x80070643; MSIX 2). */
  install?: boolean;
  /** Every download fails for good (MSI 30; MSIX 2), no retry. */
  download?: boolean;
}

export const APP_FAULT_USAGE = 'cut-download:<bytes>, hash, install or download';

/** One `--app-fault` value into `into`; throws a message naming what was expected. */
export function parseAppFault(v: string, into: AppFaults = {}): AppFaults {
  const m = /^cut-download:(\d+)$/.exec(v);
  if (m) {
    const n = Number(m[1]);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--app-fault ${v}: the byte count must be a whole number`);
    into.cutDownloadAfter = n;
  } else if (v === 'hash' || v === 'install' || v === 'download') {
    into[v] = true;
  } else {
    throw new Error(`--app-fault ${JSON.stringify(v)}: expected ${APP_FAULT_USAGE}`);
  }
  return into;
}
