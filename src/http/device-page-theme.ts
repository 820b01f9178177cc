// The look shared by the pages Windows shows in its enrollment web view — the terms of use
// (terms-of-use-page.ts) and the federated sign-in (enrollment-sign-in-page.ts): the theme of the
// Windows host, its palette, the base CSS, the page skeleton and the one HTML escaper they use.
// Each page adds the CSS of its own elements from the same palette.

export type DeviceTheme = 'dark' | 'light';

/** OOBE sends `CXH-HOST: FRX` and is dark; Settings (`MOSET`) and anything else is light. */
export function themeFor(cxhHost: string | undefined): DeviceTheme {
  return typeof cxhHost === 'string' && cxhHost.trim().toUpperCase() === 'FRX' ? 'dark' : 'light';
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

export interface Palette {
  scheme: DeviceTheme;
  bg: string;
  fg: string;
  /** Secondary text (who is signed in, hints). */
  muted: string;
  /** A raised area (the terms text). */
  panel: string;
  border: string;
  primaryBg: string;
  primaryFg: string;
  secondaryBg: string;
  secondaryFg: string;
  /** Error text and its bar. */
  error: string;
  focus: string;
  link: string;
}

// Every text colour has at least 4.5:1 contrast against bg (and primaryFg against primaryBg).
export const PALETTES: Record<DeviceTheme, Palette> = {
  dark: {
    scheme: 'dark',
    bg: '#202020',
    fg: '#ffffff',
    muted: '#d6d6d6',
    panel: '#2b2b2b',
    border: '#9a9a9a',
    primaryBg: '#4cc2ff',
    primaryFg: '#000000',
    secondaryBg: '#2d2d2d',
    secondaryFg: '#ffffff',
    error: '#ff99a4',
    focus: '#ffffff',
    link: '#99ebff',
  },
  light: {
    scheme: 'light',
    bg: '#ffffff',
    fg: '#1b1b1b',
    muted: '#505050',
    panel: '#f7f7f7',
    border: '#767676',
    primaryBg: '#005fb8',
    primaryFg: '#ffffff',
    secondaryBg: '#fbfbfb',
    secondaryFg: '#1b1b1b',
    error: '#c42b1c',
    focus: '#000000',
    link: '#003e92',
  },
};

/** The rules every device page starts with: colours, type, the column of `width`, the heading, buttons and focus rings. */
function baseCss(p: Palette, width: string): string {
  return `
:root{color-scheme:${p.scheme}}
*{box-sizing:border-box}
html,body{margin:0;padding:0;background:${p.bg};color:${p.fg};font-family:"Segoe UI Variable","Segoe UI",system-ui,sans-serif;font-size:15px;line-height:1.5}
main{max-width:${width};margin:0 auto;padding:2rem 1.5rem}
h1{font-size:1.75rem;font-weight:600;margin:0 0 1rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}
button{font:inherit;min-width:8rem;min-height:2.5rem;padding:.4rem 1.25rem;border-radius:4px;cursor:pointer}
button:focus-visible{outline:3px solid ${p.focus};outline-offset:2px}
`;
}

export interface DevicePage {
  theme: DeviceTheme;
  /** The document title (escaped here). */
  title: string;
  /** The id of the h1 that names the main landmark. */
  titleId: string;
  /** The main landmark's content, already HTML. */
  body: string;
  /** The column's maximum width. */
  width: string;
  /** The page's own CSS, from the theme's palette. */
  css: (p: Palette) => string;
}

export function renderDevicePage(page: DevicePage): string {
  const p = PALETTES[page.theme];
  return `<!DOCTYPE html>
<html lang="en" class="theme-${page.theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(page.title)}</title>
<style>${baseCss(p, page.width)}${page.css(p)}</style>
</head>
<body>
<main id="main" aria-labelledby="${page.titleId}">
${page.body}
</main>
</body>
</html>
`;
}
