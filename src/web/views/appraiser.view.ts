import { html, type Html } from '../html';
import type { Translate } from '../i18n/translator';
import { csrfField, errorSummary, fieldError, type FieldError } from './layout.view';
import { stateTag } from './projects.view';
import type { ProjectHeaderModel } from './project.view';

export interface InboxRowModel {
  href: string;
  code: string;
  name: string;
  step: string;
  due: string;
  left: string;
  overdue: boolean;
  renewal: boolean;
}

export function inboxView(m: { t: Translate; rows: InboxRowModel[] }): Html {
  const { t } = m;
  return html`<h1>${t('inbox.title')}</h1><p class="lead">${t('inbox.intro')}</p>
${m.rows.length === 0
  ? html`<p>${t('inbox.none')}</p>`
  : html`<table class="table"><caption class="visually-hidden">${t('inbox.title')}</caption>
<thead><tr><th scope="col">${t('board.project')}</th><th scope="col">${t('board.step')}</th><th scope="col">${t('board.due')}</th><th scope="col">${t('board.left')}</th><th scope="col"><span class="visually-hidden">${t('inbox.open')}</span></th></tr></thead>
<tbody>${m.rows.map(
      (r) => html`<tr${r.overdue ? html` class="board__row--overdue"` : ''}><th scope="row"><span class="mono">${r.code}</span><br>${r.name}${r.renewal ? html` ${stateTag(t('inbox.renewal'), 'tag--yellow')}` : ''}</th><td>${r.step}</td><td>${r.due}</td><td>${r.overdue ? html`<strong>${r.left}</strong>` : r.left}</td><td><a href="${r.href}">${t('inbox.open')}<span class="visually-hidden"> ${r.code}</span></a></td></tr>`,
    )}</tbody></table>`}`;
}

export interface ReviewDocumentModel {
  id: string;
  viewHref: string;
  downloadHref: string;
  name: string;
  component: string;
  componentTitle: string;
  version: number;
  sha256: string;
  size: string;
  required: boolean;
  /** The value posted when ticked: the exact version read (document id and SHA-256). */
  binding: string;
  read: boolean;
  notReadReason: string;
}

export interface CriterionModel {
  id: string;
  title: string;
  citation: string;
  verdict: string;
  comment: string;
}

export interface ReviewModel {
  t: Translate;
  project: ProjectHeaderModel;
  action: string;
  csrfToken: string;
  revision: number;
  idempotencyKey: string;
  canRecord: boolean;
  notAllowedReason: string;
  due: string | null;
  changed: { date: string; items: string[] } | null;
  lastOpinionHref: string | null;
  rulebookNote: string;
  documents: ReviewDocumentModel[];
  criteria: CriterionModel[];
  values: { recommendation: string; conditions: string; reason: string };
  /** The recusal form (declare a conflict of interest), while the appraiser is assigned. */
  conflict: { action: string; idempotencyKey: string; statement: string } | null;
  /** Just recused (the redirect after the declaration). */
  recused: boolean;
  errors: FieldError[];
}

const VERDICTS = ['meets', 'does_not_meet', 'not_applicable'] as const;
const RECOMMENDATIONS = ['approve', 'approve_with_conditions', 'reject'] as const;

export function reviewView(m: ReviewModel): Html {
  const { t } = m;
  const invalid = (f: string) => m.errors.some((e) => e.field === f);
  const documents = html`<section class="review__documents" aria-labelledby="documents-title"><h2 id="documents-title">${t('review.documents')}</h2>
<p class="hint">${t('review.documentsIntro')}</p>
<table class="table review__doc-table"><caption class="visually-hidden">${t('review.documents')}</caption>
<thead><tr><th scope="col">${t('review.component')} · ${t('review.name')} · ${t('review.sha')}</th><th scope="col">${t('review.version')}</th></tr></thead>
<tbody>${m.documents.map(
    (d) => html`<tr><td><strong>${d.componentTitle}</strong>${d.required ? html` <span class="muted">(${t('review.required')})</span>` : ''}<br>
<a href="${d.viewHref}" aria-label="${t('review.open', { name: d.name })}">${d.name}</a> <span class="muted">${d.size}</span> · <a href="${d.downloadHref}">${t('review.download')}<span class="visually-hidden"> ${d.name}</span></a><br>
<span class="mono review__sha"><span class="visually-hidden">${t('review.sha')}: </span>${d.sha256}</span></td>
<td class="num">${d.version}</td></tr>`,
  )}</tbody></table></section>`;

  const form = html`<section class="review__form" aria-labelledby="form-title"><h2 id="form-title">${t('review.form')}</h2>
${m.canRecord
  ? html`<form method="post" action="${m.action}" novalidate>
  ${csrfField(m.csrfToken)}<input type="hidden" name="revision" value="${m.revision}"><input type="hidden" name="_idem" value="${m.idempotencyKey}">
  <p class="hint">${m.rulebookNote}</p>
  ${m.criteria.map(
    (c) => html`<div class="form-group${invalid(`verdict-${c.id}`) ? ' form-group--error' : ''}">
  <fieldset class="fieldset" id="verdict-${c.id}"><legend><strong>${c.title}</strong> <span class="muted">${c.citation}</span></legend>
    ${fieldError(t, m.errors, `verdict-${c.id}`)}
    ${VERDICTS.map((v) => html`<div class="checkbox"><input type="radio" id="verdict-${c.id}-${v}" name="verdict-${c.id}" value="${v}"${c.verdict === v ? html` checked` : ''}><label for="verdict-${c.id}-${v}">${t(`review.${v}`)}</label></div>`)}
    <label class="label review__comment-label" for="comment-${c.id}">${t('review.comment')}</label>
    <textarea class="textarea review__comment" id="comment-${c.id}" name="comment-${c.id}">${c.comment}</textarea>
  </fieldset></div>`,
  )}
  <div class="form-group${invalid('read') ? ' form-group--error' : ''}">
  <fieldset class="fieldset" id="read" aria-describedby="read-hint"><legend>${t('review.read')}</legend>
    <span class="hint" id="read-hint">${t('review.readHint')}</span>
    ${fieldError(t, m.errors, 'read')}
    ${m.documents.map(
      (d) => html`<div class="checkbox"><input type="checkbox" id="read-${d.id}" name="read" value="${d.binding}"${d.read ? html` checked` : ''}><label for="read-${d.id}">${t('review.readLabel', { component: d.componentTitle, version: d.version })}</label></div>
    ${d.required ? html`<div class="review__not-read"><label class="label" for="notread-${d.component}">${t('review.notReadReason', { component: d.componentTitle })}</label><input class="input" id="notread-${d.component}" name="notread-${d.component}" value="${d.notReadReason}"></div>` : ''}`,
    )}
  </fieldset></div>
  <div class="form-group${invalid('recommendation') ? ' form-group--error' : ''}">
  <fieldset class="fieldset" id="recommendation"><legend>${t('review.recommendation')}</legend>
    ${fieldError(t, m.errors, 'recommendation')}
    ${RECOMMENDATIONS.map((r) => html`<div class="checkbox"><input type="radio" id="recommendation-${r}" name="recommendation" value="${r}"${m.values.recommendation === r ? html` checked` : ''}><label for="recommendation-${r}">${t(`review.${r}`)}</label></div>`)}
  </fieldset></div>
  <div class="form-group${invalid('conditions') ? ' form-group--error' : ''}"><label class="label" for="conditions">${t('review.conditions')}</label>
  ${fieldError(t, m.errors, 'conditions')}
  <textarea class="textarea" id="conditions" name="conditions">${m.values.conditions}</textarea></div>
  <div class="form-group${invalid('reason') ? ' form-group--error' : ''}"><label class="label" for="reason">${t('review.reason')}</label><span class="hint" id="reason-hint">${t('review.reasonHint')}</span>
  ${fieldError(t, m.errors, 'reason')}
  <textarea class="textarea" id="reason" name="reason" aria-describedby="reason-hint">${m.values.reason}</textarea></div>
  <button type="submit" class="button" id="record-opinion">${t('review.submit')}</button>
</form>`
  : html`<div class="notice">${m.notAllowedReason}</div>`}
${m.lastOpinionHref ? html`<p><a href="${m.lastOpinionHref}">${t('review.lastOpinion')}</a></p>` : ''}
${m.conflict
  ? html`<details class="review__conflict"${invalid('statement') ? html` open` : ''}><summary>${t('conflict.title')}</summary>
<form method="post" action="${m.conflict.action}" novalidate>
  ${csrfField(m.csrfToken)}<input type="hidden" name="revision" value="${m.revision}"><input type="hidden" name="_idem" value="${m.conflict.idempotencyKey}">
  <p>${t('conflict.intro')}</p>
  <div class="form-group${invalid('statement') ? ' form-group--error' : ''}"><label class="label" for="statement">${t('conflict.statement')}</label>
  ${fieldError(t, m.errors, 'statement')}
  <textarea class="textarea" id="statement" name="statement">${m.conflict.statement}</textarea></div>
  <button type="submit" class="button button--warning">${t('conflict.submit')}</button>
</form></details>`
  : ''}
</section>`;

  return html`${errorSummary(t, m.errors)}
<p class="muted"><a href="${m.project.href}">${m.project.code}</a> · ${m.project.name} · ${stateTag(m.project.state, m.project.stateTag)}</p>
<h1>${t('review.title')}</h1>
${m.recused ? html`<div class="notice notice--ok" role="status" id="conflict-declared">${t('conflict.declared')}</div>` : ''}
${m.due ? html`<p>${m.due}</p>` : ''}
${m.changed
  ? html`<div class="notice notice--warning" id="changed-since-opinion" role="status"><h2>${t('review.changedTitle')}</h2><p>${t('review.changedIntro', { date: m.changed.date })}</p><ul>${m.changed.items.map((i) => html`<li>${i}</li>`)}</ul></div>`
  : ''}
<div class="review">${documents}${form}</div>`;
}

export interface RecordedOpinionModel {
  t: Translate;
  project: ProjectHeaderModel;
  recordedAt: string;
  stale: boolean;
  recommendation: string;
  conditions: string[];
  reason: string | null;
  criteria: Array<{ title: string; verdict: string; comment: string }>;
  documents: Array<{ component: string; name: string; version: string; sha256: string }>;
  notReviewed: Array<{ component: string; reason: string }>;
  confirmation: boolean;
}

export function recordedOpinionView(m: RecordedOpinionModel): Html {
  const { t } = m;
  return html`<p class="muted"><a href="${m.project.href}">${m.project.code}</a> · ${m.project.name} · ${stateTag(m.project.state, m.project.stateTag)}</p>
${m.confirmation ? html`<div class="notice notice--ok" role="status" id="opinion-recorded"><h1>${t('review.recordedTitle')}</h1><p>${t('review.recordedAt', { date: m.recordedAt })}</p></div>` : html`<h1>${t('review.form')}</h1><p>${t('review.recordedAt', { date: m.recordedAt })}</p>`}
${m.stale ? html`<div class="notice notice--warning">${t('review.stale')}</div>` : ''}
<dl class="summary">
  <div class="summary__row"><dt>${t('review.recommendation')}</dt><dd>${m.recommendation}</dd></div>
  ${m.conditions.length ? html`<div class="summary__row"><dt>${t('review.conditions')}</dt><dd><ul>${m.conditions.map((c) => html`<li>${c}</li>`)}</ul></dd></div>` : ''}
  ${m.reason ? html`<div class="summary__row"><dt>${t('review.reason')}</dt><dd>${m.reason}</dd></div>` : ''}
</dl>
<table class="table"><caption>${t('review.form')}</caption>
<thead><tr><th scope="col">${t('review.criterion')}</th><th scope="col">${t('review.verdict')}</th><th scope="col">${t('review.commentShort')}</th></tr></thead>
<tbody>${m.criteria.map((c) => html`<tr><th scope="row">${c.title}</th><td>${c.verdict}</td><td>${c.comment}</td></tr>`)}</tbody></table>
<table class="table"><caption>${t('review.boundTo')}</caption>
<thead><tr><th scope="col">${t('review.component')}</th><th scope="col">${t('review.name')}</th><th scope="col">${t('review.version')}</th><th scope="col">${t('review.sha')}</th></tr></thead>
<tbody>${m.documents.map((d) => html`<tr><th scope="row">${d.component}</th><td>${d.name}</td><td class="num">${d.version}</td><td class="mono">${d.sha256}</td></tr>`)}</tbody></table>
${m.notReviewed.length ? html`<h2>${t('review.notReviewedList')}</h2><ul>${m.notReviewed.map((n) => html`<li>${n.component}: ${n.reason}</li>`)}</ul>` : ''}
<p><a class="button button--secondary" href="/inbox">${t('review.backToInbox')}</a></p>`;
}
