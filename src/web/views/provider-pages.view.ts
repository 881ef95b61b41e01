import { html, Html } from '../html';
import { isLocale, translator } from '../i18n/translator';
import type { ProviderPages } from '../../auth/oidc-provider';

/** The embedded provider's own screens (sign-out confirmation, errors) in our look and languages. */
export function providerPages(cssUrl: () => string): ProviderPages {
  const page = (locale: string, title: string, body: Html) => {
    const lang = isLocale(locale) ? locale : 'vi';
    const t = translator(lang);
    return html`<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – ${t('service.name')}</title><link rel="stylesheet" href="${cssUrl()}"></head>
<body><header class="header"><div class="width"><a class="header__service" href="/">${t('service.name')}</a></div></header>
<main id="main" class="width main"><div class="narrow">${body}</div></main>
<footer class="footer"><div class="width"><p>${t('footer.text')}</p></div></footer></body></html>`.value;
  };
  return {
    logout(locale, form) {
      const t = translator(isLocale(locale) ? locale : 'vi');
      // `form` is the provider's hidden form (its own CSRF token included); the buttons submit it.
      return page(
        locale,
        t('signout.title'),
        html`<h1>${t('signout.title')}</h1><p>${t('signout.question')}</p>${new Html(form)}
<div class="button-group"><button class="button" type="submit" form="op.logoutForm" value="yes" name="logout">${t('signout.yes')}</button>
<button class="button button--secondary" type="submit" form="op.logoutForm">${t('signout.no')}</button></div>`,
      );
    },
    loggedOut(locale) {
      const t = translator(isLocale(locale) ? locale : 'vi');
      return page(locale, t('signout.title'), html`<h1>${t('signout.title')}</h1><p>${t('signout.done')}</p><p><a href="/auth/signin">${t('signout.again')}</a></p>`);
    },
    error(locale, code, description) {
      const t = translator(isLocale(locale) ? locale : 'vi');
      return page(locale, t('provider.errorTitle'), html`<h1>${t('provider.errorTitle')}</h1><p>${description || code}</p><p class="muted">${code}</p><p><a href="/auth/signin">${t('signout.again')}</a></p>`);
    },
  };
}
