import { html, type Html } from '../html';
import type { Locale, MessageKey, Translate } from '../i18n/translator';
import type { Role } from '../../auth/roles';
import type { LegalBasisModel } from '../legal-basis';

/** What every page's frame needs; built by the page context, never by a template. */
export interface LayoutModel {
  t: Translate;
  locale: Locale;
  title: string;
  /** Absent on the sign-in pages. */
  user?: { name: string; roles: readonly Role[]; activeRole: Role };
  csrfToken: string;
  /** The current path, so the language switch returns here. */
  path: string;
  assets: { css: string };
  hasErrors?: boolean;
  /** The header's links for the active role (built by the page context from ROLE_NAV). */
  nav: ReadonlyArray<{ href: string; label: MessageKey; current: boolean }>;
  /** The instruments of the rulebook in force (src/web/legal-basis.ts), cited in the footer. */
  legalBasis?: LegalBasisModel;
}

/** "Law 07/2017/QH14" → "Luật 07/2017/QH14": the instrument's kind in the page's language. */
function localCitation(t: Translate, citation: string): string {
  return citation.replace(/^(Law|Decree|Decision|Circular)\b/, (kind) => t(`instrument.${kind}` as MessageKey));
}

function footer(m: LayoutModel): Html {
  const { t } = m;
  const basis = m.legalBasis;
  // Without the rulebook (database unreachable for a moment) the footer cites nothing rather than a stale law.
  if (!basis) return html`<p>${t('service.name')}</p>`;
  const [y, mo, d] = basis.effectiveFrom.split('-');
  return html`<p>${t('footer.basis', { version: basis.version, date: m.locale === 'vi' ? `${d}/${mo}/${y}` : basis.effectiveFrom })}</p>
<ul class="footer__basis">${basis.instruments.map(
    (s) => html`<li>${m.locale === 'vi' ? localCitation(t, s.citation) : s.title}${s.verified ? '' : html` <span class="muted">(${t('footer.unverified')})</span>`}</li>`,
  )}</ul>`;
}

export interface FieldError {
  /** The id of the input the message belongs to (the summary links to it). */
  field: string;
  message: string;
}

/** GOV.UK's error summary: focusable and focused on load (autofocus, no script), listed first, each message linking to its field. */
export function errorSummary(t: Translate, errors: readonly FieldError[]): Html {
  if (errors.length === 0) return html``;
  return html`<div class="error-summary" role="alert" tabindex="-1" autofocus data-module="error-summary" aria-labelledby="error-summary-title">
  <h2 class="error-summary__title" id="error-summary-title">${t('error.summaryTitle')}</h2>
  <ul class="error-summary__list">${errors.map((e) => html`<li><a href="#${e.field}">${e.message}</a></li>`)}</ul>
</div>`;
}

export function fieldError(t: Translate, errors: readonly FieldError[], field: string): Html {
  const e = errors.find((x) => x.field === field);
  return e ? html`<p class="field-error" id="${field}-error"><span class="visually-hidden">${t('error.prefix')}</span> ${e.message}</p>` : html``;
}

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export function layout(m: LayoutModel, content: Html): Html {
  const { t } = m;
  const other: Locale = m.locale === 'vi' ? 'en' : 'vi';
  return html`<!DOCTYPE html>
<html lang="${m.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${m.hasErrors ? `${t('error.prefix')} ` : ''}${m.title} – ${t('service.name')}</title>
<link rel="stylesheet" href="${m.assets.css}">
</head>
<body>
<a href="#main" class="skip-link">${t('nav.skip')}</a>
<header class="header">
  <div class="width">
    <a class="header__service" href="/">${t('service.name')}</a>
    ${m.user
      ? html`<nav class="header__nav" aria-label="${t('nav.main')}">
      <ul>
        ${m.nav.map((item) => html`<li><a href="${item.href}"${item.current ? html` aria-current="page"` : ''}>${t(item.label)}</a></li>`)}
      </ul>
    </nav>
    <div class="header__user">
      <span>${m.user.name}</span>
      ${m.user.roles.length > 1
        ? html`<form method="post" action="/role" class="inline-form">
        ${csrfField(m.csrfToken)}<input type="hidden" name="returnTo" value="${m.path}">
        <label for="role-switch">${t('role.label')}</label>
        <select id="role-switch" name="role">${m.user.roles.map((r) => html`<option value="${r}"${r === m.user!.activeRole ? html` selected` : ''}>${t(`role.${r}`)}</option>`)}</select>
        <button type="submit" class="button button--secondary button--small">${t('role.switch')}</button>
      </form>`
        : html`<span class="tag">${t(`role.${m.user.activeRole}`)}</span>`}
      <form method="post" action="/auth/signout" class="inline-form">${csrfField(m.csrfToken)}<button type="submit" class="button button--secondary button--small">${t('nav.signOut')}</button></form>
    </div>`
      : ''}
    <form method="post" action="/language" class="inline-form header__lang">
      ${csrfField(m.csrfToken)}<input type="hidden" name="returnTo" value="${m.path}"><input type="hidden" name="locale" value="${other}">
      <button type="submit" class="link-button" lang="${other}" aria-label="${t('lang.switchLabel')}: ${t('lang.switch')}">${t('lang.switch')}</button>
    </form>
  </div>
</header>
<main id="main" class="width main" tabindex="-1">
${content}
</main>
<footer class="footer"><div class="width">${footer(m)}</div></footer>
</body>
</html>`;
}
