import { html, type Html } from '../html';
import { csrfField, errorSummary, fieldError, type FieldError } from './layout.view';
import type { Translate } from '../i18n/translator';

export interface SignInModel {
  t: Translate;
  action: string;
  csrfToken: string;
  sub: string;
  errors: FieldError[];
}

export function signInView(m: SignInModel): Html {
  const { t } = m;
  const invalid = (f: string) => m.errors.some((e) => e.field === f);
  return html`<div class="narrow">
${errorSummary(t, m.errors)}
<h1>${t('signin.title')}</h1>
<p>${t('signin.intro')}</p>
<form method="post" action="${m.action}" novalidate>
  ${csrfField(m.csrfToken)}
  <div class="form-group${invalid('sub') ? ' form-group--error' : ''}">
    <label class="label" for="sub">${t('signin.sub')}</label>
    ${fieldError(t, m.errors, 'sub')}
    <input class="input" id="sub" name="sub" type="text" autocomplete="username" spellcheck="false" autocapitalize="none" value="${m.sub}"${invalid('sub') ? html` aria-describedby="sub-error"` : ''} required>
  </div>
  <div class="form-group${invalid('password') ? ' form-group--error' : ''}">
    <label class="label" for="password">${t('signin.password')}</label>
    ${fieldError(t, m.errors, 'password')}
    <input class="input" id="password" name="password" type="password" autocomplete="current-password"${invalid('password') ? html` aria-describedby="password-error"` : ''} required>
  </div>
  <button type="submit" class="button">${t('signin.submit')}</button>
</form>
</div>`;
}

export interface ChangePasswordModel {
  t: Translate;
  action: string;
  csrfToken: string;
  minLength: number;
  errors: FieldError[];
}

export function changePasswordView(m: ChangePasswordModel): Html {
  const { t } = m;
  const invalid = (f: string) => m.errors.some((e) => e.field === f);
  return html`<div class="narrow">
${errorSummary(t, m.errors)}
<h1>${t('password.title')}</h1>
<p>${t('password.intro', { min: m.minLength })}</p>
<form method="post" action="${m.action}" novalidate>
  ${csrfField(m.csrfToken)}
  <div class="form-group${invalid('newPassword') ? ' form-group--error' : ''}">
    <label class="label" for="newPassword">${t('password.new')}</label>
    ${fieldError(t, m.errors, 'newPassword')}
    <input class="input" id="newPassword" name="newPassword" type="password" autocomplete="new-password" minlength="${m.minLength}"${invalid('newPassword') ? html` aria-describedby="newPassword-error"` : ''} required>
  </div>
  <div class="form-group${invalid('confirmPassword') ? ' form-group--error' : ''}">
    <label class="label" for="confirmPassword">${t('password.confirm')}</label>
    ${fieldError(t, m.errors, 'confirmPassword')}
    <input class="input" id="confirmPassword" name="confirmPassword" type="password" autocomplete="new-password"${invalid('confirmPassword') ? html` aria-describedby="confirmPassword-error"` : ''} required>
  </div>
  <button type="submit" class="button">${t('password.submit')}</button>
</form>
</div>`;
}

export interface MessageModel {
  t: Translate;
  heading: string;
  paragraphs: string[];
  link?: { href: string; text: string };
}

export function messageView(m: MessageModel): Html {
  return html`<div class="narrow"><h1>${m.heading}</h1>${m.paragraphs.map((p) => html`<p>${p}</p>`)}${m.link ? html`<p><a href="${m.link.href}">${m.link.text}</a></p>` : ''}</div>`;
}
