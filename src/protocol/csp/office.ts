// Microsoft 365 Apps through the Office CSP (../shared/schemas-ref/ddf/Office.ddf.xml): an Exec
// of Installation/{id}/Install with an Office Deployment Tool configuration, progress in
// Installation/{id}/Status. Removal is the same Exec with a <Remove> configuration. Pure.
import { el, empty } from '../xml-write.js';
import { cspRoot, encodeSegment } from './uri.js';
import type { Scope } from './types.js';

/** Installation/{id} of the app. The DDF names the Exec node `Install` (Learn's examples write `install`). */
export function officeRoot(scope: Scope, installationId: string): string {
  return `${cspRoot(scope, 'Office')}/Installation/${encodeSegment(installationId)}`;
}

/** Status values (Learn, Office CSP): 0 done, 997 in progress; anything else is the error code the install ended with. */
export const OFFICE_DONE = 0;
export const OFFICE_IN_PROGRESS = 997;

/** The product ids the configuration adds (`<Product ID="O365ProPlusRetail">`), in order. */
export function officeProducts(configurationXml: string): string[] {
  const out: string[] = [];
  for (const m of configurationXml.matchAll(/<Product\b[^>]*?\bID\s*=\s*["']([^"']+)["']/g)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

/**
 * The configuration that removes what `configurationXml` installs: its products by id (all
 * Click-to-Run products when it names none), silently.
 */
export function officeRemoveConfiguration(configurationXml: string): string {
  const products = officeProducts(configurationXml);
  const remove = products.length ? el('Remove', null, ...products.map((id) => empty('Product', { ID: id }))) : empty('Remove', { All: 'TRUE' });
  return el('Configuration', null, remove, empty('Display', { Level: 'None', AcceptEULA: 'TRUE' }));
}
