// What the Apps pages show of a package — what fenestra read from it (MSI Property table, MSIX
// manifest and signature, Office configuration) — and the upload form, which
// console/assets/apps-upload.js sends as a stream to the admin API (never a form post of the file).
import type { AppVersion } from '../../../domain/app.js';
import { num } from '../format.js';
import { html, type Html } from '../html.js';
import type { Lang } from '../i18n.js';
import type { PageContext } from '../page.js';
import { formHidden } from './admins-kit.js';
import { type AT, said } from './apps-text.js';

/** A byte count as the console shows it (1.2 MiB). */
export function bytes(lang: Lang, n: number | undefined): string {
  if (n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? num(lang, v) : new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(v)} ${units[u]}`;
}

/** A long identifier (package full name, ProductCode) that may wrap after its dots, dashes and underscores in a narrow cell. */
export function breakable(id: string): Html {
  return html`${id.split(/(?<=[._~-])/).map((part, i) => (i ? html`<wbr />${part}` : part))}`;
}

const fact = (term: string, value: Html | string, key?: string): Html =>
  html`<div ${key ? html`data-fact="${key}"` : ''}>
    <dt>${term}</dt>
    <dd>${value}</dd>
  </div>`;

/** What was read from one version's package, as a description list. */
export function packageFacts(t: AT, lang: Lang, v: AppVersion): Html {
  const rows: Html[] = [];
  if (v.msi) {
    const m = v.msi;
    rows.push(
      fact(t('productCode'), html`<code>${m.productCode}</code>`, 'productCode'),
      fact(t('productVersion'), m.productVersion, 'productVersion'),
      fact(t('productName'), m.productName, 'productName'),
      fact(t('manufacturer'), m.manufacturer, 'manufacturer'),
      fact(t('upgradeCode'), m.upgradeCode ? html`<code>${m.upgradeCode}</code>` : '—', 'upgradeCode'),
    );
    if (m.productLanguage) rows.push(fact(t('productLanguage'), m.productLanguage, 'productLanguage'));
    rows.push(fact(t('allUsers'), m.allUsers ? t('perMachine', { v: m.allUsers }) : t('perUser'), 'allUsers'));
  }
  if (v.msix) {
    const m = v.msix;
    rows.push(
      fact(t('format'), m.format.toUpperCase(), 'format'),
      fact(t('packageName'), html`<code>${m.name}</code>`, 'name'),
      fact(t('publisher'), html`<code>${m.publisher}</code>`, 'publisher'),
      fact(t('version'), m.version, 'version'),
      fact(t('architecture'), m.architecture, 'architecture'),
      fact(t('pfn'), html`<code>${m.packageFamilyName}</code>`, 'packageFamilyName'),
      fact(t('fullName'), html`<code>${m.packageFullName}</code>`, 'packageFullName'),
    );
    if (m.displayName) rows.push(fact(t('displayName'), m.displayName, 'displayName'));
    rows.push(
      fact(t('signed'), m.signed ? t('yes') : t('no'), 'signed'),
      fact(
        t('dependencies'),
        m.dependencies.length
          ? html`<ul class="results">
              ${m.dependencies.map((d) => html`<li><code>${d.name}</code>${d.minVersion ? html` ≥ ${d.minVersion}` : ''}</li>`)}
            </ul>`
          : t('noDependencies'),
        'dependencies',
      ),
    );
  }
  if (v.office) rows.push(fact(t('installationId'), html`<code>${v.office.installationId}</code>`, 'installationId'));
  rows.push(fact(t('source'), v.sourceUrl ? html`${said(t, 'source_', v.source)}: <code>${v.sourceUrl}</code>` : said(t, 'source_', v.source), 'source'));
  if (v.sha256) rows.push(fact(t('sha'), html`<code>${v.sha256}</code>`, 'sha256'), fact(t('size'), bytes(lang, v.size), 'size'));
  if (v.fileName) rows.push(fact(t('fileName'), v.fileName, 'fileName'));
  const office = v.office
    ? html`<h3>${t('configurationXml')}</h3>
        <pre class="xml" tabindex="0"><code>${v.office.configurationXml}</code></pre>`
    : '';
  return html`<dl class="facts">${rows}</dl>
    ${office}`;
}

/**
 * The upload form: a file input the script (apps-upload.js) sends to `api` as the raw body.
 * Posted without the script, it reaches `fallback`, a console action that says why it cannot.
 */
export function uploadForm(ctx: PageContext, t: AT, o: { id: string; title: string; intro: string; api: string; fallback: string; error?: string }): Html {
  const input = `${o.id}-file`;
  const described = [`${input}-hint`, o.error ? `${input}-error` : ''].filter(Boolean).join(' ');
  return html`<section class="panel" aria-labelledby="${o.id}-title">
    <h2 id="${o.id}-title">${o.title}</h2>
    <p>${o.intro}</p>
    <form
      method="post"
      action="${o.fallback}"
      novalidate
      data-upload="${o.api}"
      data-uploading="${t('uploading')}"
      data-no-file="${t('noFile')}"
      data-failed="${t('uploadFailed')}"
    >
      ${formHidden(ctx)}
      <div class="field${o.error ? ' has-error' : ''}">
        <label for="${input}">${t('file')}</label>
        <p class="hint" id="${input}-hint">${t('fileHint')}</p>
        <input
          id="${input}"
          name="file"
          type="file"
          accept=".msi,.msix,.appx,.msixbundle,.appxbundle"
          aria-describedby="${described}"
          ${o.error ? html` aria-invalid="true"` : ''}
        />
        ${o.error ? html`<p class="error" id="${input}-error">${o.error}</p>` : ''}
      </div>
      <p class="muted" role="status" data-upload-status></p>
      <div class="actions"><button type="submit">${t('upload')}</button></div>
    </form>
  </section>`;
}
