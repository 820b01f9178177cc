// The MsiInstallJob document of EnterpriseDesktopAppManagement's DownloadInstall Exec, as the
// simulated device reads it (Learn, "EnterpriseDesktopAppManagement CSP", DownloadInstall):
// where to download the package, the SHA-256 it must have, and how many times to retry.
import { attr, child, childText, children, parseXml, path, text } from '../../protocol/xml.js';

export interface MsiInstallJobDoc {
  /** MsiInstallJob@id: the product code. */
  id?: string;
  /** Product@Version. */
  version?: string;
  /** ContentURLList/ContentURL, in order (Windows tries the next when one fails). */
  urls: string[];
  /** Validation/FileHash, lower-case hex. */
  fileHash: string;
  commandLine?: string;
  /** Enforcement/RetryCount (default 3). */
  retryCount: number;
}

/** Read the job; throws a message naming what is wrong. */
export function readMsiInstallJob(xml: string): MsiInstallJobDoc {
  const root = child(parseXml(xml, { maxBytes: 64 * 1024 }), 'MsiInstallJob');
  if (!root) throw new Error('not an MsiInstallJob document');
  const product = child(root, 'Product');
  if (!product) throw new Error('MsiInstallJob has no Product');
  const urls = children(path(product, 'Download', 'ContentURLList'), 'ContentURL')
    .map((u) => text(u)?.trim() ?? '')
    .filter(Boolean);
  if (urls.length === 0) throw new Error('MsiInstallJob has no Download/ContentURLList/ContentURL');
  const fileHash = childText(child(product, 'Validation'), 'FileHash')?.trim() ?? '';
  if (!/^[0-9A-Fa-f]{64}$/.test(fileHash)) throw new Error('MsiInstallJob Validation/FileHash is not a SHA-256 (64 hex digits)');
  const enforcement = child(product, 'Enforcement');
  const retry = Number(childText(enforcement, 'RetryCount')?.trim() ?? '3');
  return {
    id: attr(root, 'id'),
    version: attr(product, 'Version'),
    urls,
    fileHash: fileHash.toLowerCase(),
    commandLine: childText(enforcement, 'CommandLine'),
    retryCount: Number.isInteger(retry) && retry >= 0 && retry <= 10 ? retry : 3,
  };
}
