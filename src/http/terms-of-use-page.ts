// The terms-of-use pages as HTML: the page the service decided on (service/enrollment/terms-of-use.ts)
// and the error page, in the Windows host's theme (device-page-theme.ts). Nothing user-supplied
// reaches a page unescaped; only the terms body (trusted, admin-supplied HTML) is written as it is.
import type { TermsPage } from '../service/enrollment/terms-of-use.js';
import { escapeHtml, type Palette, renderDevicePage, themeFor } from './device-page-theme.js';

export { escapeHtml } from './device-page-theme.js';

const css = (p: Palette) => `.who{color:${p.muted};margin:0 0 1rem}
.terms{background:${p.panel};border:1px solid ${p.border};border-radius:6px;padding:1rem 1.25rem;max-height:50vh;overflow:auto}
.terms:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
.actions{justify-content:flex-end;margin-top:1.5rem}
button.primary{background:${p.primaryBg};color:${p.primaryFg};border:1px solid ${p.primaryBg}}
button.secondary{background:${p.secondaryBg};color:${p.secondaryFg};border:1px solid ${p.border}}
button:focus{outline:3px solid ${p.focus};outline-offset:2px}
button:focus:not(:focus-visible){outline:none}
@media (forced-colors:active){button,.terms{border:1px solid CanvasText}}
`;
const WIDTH = '44rem';

/** The terms page the service decided on (service/enrollment/terms-of-use.ts), in the theme of the Windows host. */
export function renderTermsPage(page: TermsPage, cxhHost?: string): string {
  const title = escapeHtml(page.title);
  const who = page.upn ? `<p class="who">Signed in as <strong>${escapeHtml(page.upn)}</strong></p>` : '';
  const decline = page.showDecline ? '<button type="submit" class="secondary" name="decision" value="decline">Decline</button>' : '';
  return renderDevicePage({
    theme: themeFor(cxhHost),
    title: page.title,
    titleId: 'tou-title',
    width: WIDTH,
    css,
    body: `<h1 id="tou-title">${title}</h1>
${who}
<section class="terms" id="tou-text" role="region" aria-labelledby="tou-title" tabindex="0">
${page.bodyHtml}
</section>
<form method="post" aria-label="Respond to the terms of use">
<input type="hidden" name="state" value="${escapeHtml(page.state)}">
<div class="actions">
${decline}
<button type="submit" class="primary" name="decision" value="accept">Accept</button>
</div>
</form>`,
  });
}

/** A small accessible HTML page for an `error` outcome (used by the HTTP layer). */
export function renderTermsErrorPage(message: string, cxhHost?: string): string {
  return renderDevicePage({
    theme: themeFor(cxhHost),
    title: 'Terms of use unavailable',
    titleId: 'err-title',
    width: WIDTH,
    css,
    body: `<h1 id="err-title">Something went wrong</h1>
<p role="alert">${escapeHtml(message)}</p>
<p>Close this window and start the enrollment again. If the problem continues, contact your IT department.</p>`,
  });
}
