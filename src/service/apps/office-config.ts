// An Office Deployment Tool configuration as the Office CSP takes it: well-formed XML whose root
// is <Configuration> with an <Add> element. What identifies the app is the Add's Channel.
import crypto from 'node:crypto';
import { attr, child, parseXml, XmlError } from '../../protocol/xml.js';
import { ApiError } from '../errors.js';

/** The CSP's configuration is a node value: kept well under the admin API's body ceiling. */
export const OFFICE_CONFIG_MAX_BYTES = 64 * 1024;

const refuse = (message: string) => new ApiError(422, 'invalid_configuration', message, '/configurationXml');

export interface OfficeConfiguration {
  /** The Add's Channel, else 'office'. */
  channel: string;
  /** The Add's Version, else one derived from the configuration (the same text, the same version). */
  version: string;
}

export function checkOfficeConfiguration(xml: string): OfficeConfiguration {
  let doc;
  try {
    doc = parseXml(xml, { maxBytes: OFFICE_CONFIG_MAX_BYTES });
  } catch (err) {
    if (err instanceof XmlError) throw refuse(`the configuration is not well-formed XML: ${err.message}`);
    throw err;
  }
  const root = child(doc, 'Configuration');
  if (!root) {
    const name = Object.keys(doc).find((k) => !k.startsWith('#') && !k.startsWith('@'));
    throw refuse(`the configuration's root element must be <Configuration>, not <${name ?? '?'}>`);
  }
  const add = child(root, 'Add');
  if (!add) throw refuse('the configuration has no <Add> element (what to install)');
  const channel = attr(add, 'Channel')?.trim() || 'office';
  const version = attr(add, 'Version')?.trim() || `config-${crypto.createHash('sha256').update(xml).digest('hex').slice(0, 12)}`;
  return { channel, version };
}
