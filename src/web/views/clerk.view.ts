import { html, type Html } from '../html';
import type { Translate } from '../i18n/translator';
import { csrfField, errorSummary, fieldError, type FieldError } from './layout.view';
import { stateTag, type ProjectRowModel } from './projects.view';
import type { ProjectHeaderModel } from './project.view';

export function intakeView(m: { t: Translate; rows: ProjectRowModel[] }): Html {
  const { t } = m;
  return html`<h1>${t('intake.title')}</h1><p class="lead">${t('intake.intro')}</p>
${m.rows.length === 0
  ? html`<p>${t('intake.none')}</p>`
  : html`<table class="table"><caption class="visually-hidden">${t('intake.title')}</caption>
<thead><tr><th scope="col">${t('projects.code')}</th><th scope="col">${t('projects.name')}</th><th scope="col">${t('projects.updated')}</th><th scope="col"><span class="visually-hidden">${t('intake.open')}</span></th></tr></thead>
<tbody>${m.rows.map((r) => html`<tr><td class="mono">${r.code}</td><td>${r.name}</td><td>${r.updated}</td><td><a href="${r.href}/completeness">${t('intake.open')}<span class="visually-hidden"> ${r.code}</span></a></td></tr>`)}</tbody></table>`}`;
}

export interface CompletenessModel {
  t: Translate;
  project: ProjectHeaderModel;
  action: string;
  csrfToken: string;
  revision: number;
  idempotencyKey: string;
  allowed: boolean;
  notAllowedReason: string;
  documents: Array<{ href: string; name: string; component: string; version: number; sha256: string; size: string }>;
  items: Array<{ component: string; title: string; present: boolean; checked: boolean }>;
  values: { result: string; note: string };
  errors: FieldError[];
}

export function completenessView(m: CompletenessModel): Html {
  const { t } = m;
  const invalid = (f: string) => m.errors.some((e) => e.field === f);
  return html`${errorSummary(t, m.errors)}
<p class="muted"><a href="${m.project.href}">${m.project.code}</a> · ${m.project.name} · ${stateTag(m.project.state, m.project.stateTag)}</p>
<h1>${t('completeness.title')}</h1>
<h2>${t('completeness.documents')}</h2>
<table class="table"><thead><tr><th scope="col">${t('dossier.receiptComponent')}</th><th scope="col">${t('dossier.receiptName')}</th><th scope="col">${t('dossier.receiptVersion')}</th><th scope="col">${t('dossier.receiptSize')}</th><th scope="col">${t('dossier.receiptSha')}</th></tr></thead>
<tbody>${m.documents.map((d) => html`<tr><td>${d.component}</td><td><a href="${d.href}" aria-label="${t('completeness.download', { name: d.name })}">${d.name}</a></td><td class="num">${d.version}</td><td class="num">${d.size}</td><td class="mono">${d.sha256}</td></tr>`)}</tbody></table>
${m.allowed
  ? html`<form method="post" action="${m.action}" novalidate>
  ${csrfField(m.csrfToken)}<input type="hidden" name="revision" value="${m.revision}"><input type="hidden" name="_idem" value="${m.idempotencyKey}">
  <div class="form-group${invalid('result') ? ' form-group--error' : ''}">
  <fieldset class="fieldset" id="result"><legend>${t('completeness.result')}</legend>
    ${fieldError(t, m.errors, 'result')}
    <div class="checkbox"><input type="radio" id="result-complete" name="result" value="complete"${m.values.result === 'complete' ? html` checked` : ''}><label for="result-complete">${t('completeness.complete')}</label></div>
    <div class="checkbox"><input type="radio" id="result-incomplete" name="result" value="incomplete"${m.values.result === 'incomplete' ? html` checked` : ''}><label for="result-incomplete">${t('completeness.incomplete')}</label></div>
  </fieldset></div>
  <div class="form-group${invalid('missing') ? ' form-group--error' : ''}">
  <fieldset class="fieldset" id="missing"><legend>${t('completeness.missing')}</legend>
    ${fieldError(t, m.errors, 'missing')}
    ${m.items.map(
      (item) => html`<div class="checkbox"><input type="checkbox" id="missing-${item.component}" name="missing" value="${item.component}"${item.checked ? html` checked` : ''}><label for="missing-${item.component}">${item.title} ${stateTag(item.present ? t('dossier.present') : t('dossier.missing'), item.present ? 'tag--green' : 'tag--red')}</label></div>`,
    )}
  </fieldset></div>
  <div class="form-group"><label class="label" for="note">${t('completeness.note')}</label><span class="hint" id="note-hint">${t('completeness.noteHint')}</span>
  <textarea class="textarea" id="note" name="note" aria-describedby="note-hint">${m.values.note}</textarea></div>
  <button type="submit" class="button">${t('completeness.submit')}</button>
</form>`
  : html`<div class="notice">${m.notAllowedReason}</div>`}`;
}

export interface SupplementRequestModel {
  t: Translate;
  items: Array<{ title: string; href: string; answered: boolean }>;
  note: string | null;
  resubmitHref: string;
}

/** The investor's answer slots: each requested item links to its upload, with its state. */
export function supplementRequestView(m: SupplementRequestModel): Html {
  const { t } = m;
  return html`<section class="notice" aria-labelledby="supplement-title"><h2 id="supplement-title">${t('supplement.title')}</h2>
<p>${t('supplement.intro')}</p>
${m.note ? html`<p>${t('supplement.note', { note: m.note })}</p>` : ''}
<ul class="task-list">${m.items.map((i) => html`<li><a href="${i.href}">${t('supplement.item', { title: i.title })}</a> ${stateTag(i.answered ? t('supplement.answered') : t('supplement.pending'), i.answered ? 'tag--green' : 'tag--yellow')}</li>`)}</ul>
<p><a class="button" href="${m.resubmitHref}">${t('supplement.resubmit')}</a></p></section>`;
}
