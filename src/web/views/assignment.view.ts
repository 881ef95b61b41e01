import { html, type Html } from '../html';
import type { Translate } from '../i18n/translator';
import { csrfField, errorSummary, fieldError, type FieldError } from './layout.view';
import { stateTag } from './projects.view';
import type { ProjectHeaderModel } from './project.view';

export interface CandidateModel {
  sub: string;
  name: string;
  organisation: string;
  status: 'eligible' | 'assigned' | 'barred';
  /** The rules' reasons, each with its stable code. */
  reasons: Array<{ code: string; text: string }>;
  checked: boolean;
}

export interface AssignmentModel {
  t: Translate;
  project: ProjectHeaderModel;
  round: number;
  action: string;
  csrfToken: string;
  revision: number;
  idempotencyKey: string;
  allowed: boolean;
  notAllowedReason: string;
  candidates: CandidateModel[];
  mode: string;
  /** Just assigned (the redirect after a successful post). */
  recorded: boolean;
  errors: FieldError[];
}

const STATUS_TONE = { eligible: 'tag--green', assigned: 'tag--grey', barred: 'tag--red' } as const;

export function assignmentView(m: AssignmentModel): Html {
  const { t } = m;
  const invalid = (f: string) => m.errors.some((e) => e.field === f);
  const statusText = (c: CandidateModel) => t(c.status === 'eligible' ? 'assignment.eligible' : c.status === 'assigned' ? 'assignment.alreadyAssigned' : 'assignment.barred');
  const rows = m.candidates.map(
    (c) => html`<tr id="candidate-${c.sub}"${c.status === 'barred' ? html` class="assignment__barred"` : ''}>
  <td>${c.status === 'eligible'
    ? html`<div class="checkbox"><input type="checkbox" id="appraiser-${c.sub}" name="appraisers" value="${c.sub}"${c.checked ? html` checked` : ''}><label for="appraiser-${c.sub}"><span class="visually-hidden">${t('assignment.choose', { name: c.name })}</span></label></div>`
    : html`<span aria-hidden="true">—</span>`}</td>
  <td>${c.name}<br><span class="muted mono">${c.sub}</span></td>
  <td>${c.organisation}</td>
  <td>${stateTag(statusText(c), STATUS_TONE[c.status])}${c.reasons.length > 0
    ? html`<ul class="assignment__reasons">${c.reasons.map((r) => html`<li>${r.text} <span class="muted mono">(${r.code})</span></li>`)}</ul>`
    : ''}</td>
</tr>`,
  );
  return html`${errorSummary(t, m.errors)}
<p class="muted"><a href="${m.project.href}">${m.project.code}</a> · ${m.project.name} · ${stateTag(m.project.state, m.project.stateTag)}</p>
<h1>${t('assignment.title')}</h1>
${m.recorded ? html`<div class="notice notice--ok" role="status" id="assignment-recorded">${t('assignment.done')}</div>` : ''}
<p class="lead">${t('assignment.intro', { round: m.round })}</p>
<p class="hint">${t('assignment.source')}</p>
${!m.allowed && !m.recorded ? html`<div class="notice">${m.notAllowedReason}</div>` : ''}
<form method="post" action="${m.action}" novalidate>
  ${csrfField(m.csrfToken)}<input type="hidden" name="revision" value="${m.revision}"><input type="hidden" name="_idem" value="${m.idempotencyKey}">
  <div class="form-group${invalid('appraisers') ? ' form-group--error' : ''}" id="appraisers" tabindex="-1">
  ${fieldError(t, m.errors, 'appraisers')}
  ${m.candidates.length === 0
    ? html`<p>${t('assignment.none')}</p>`
    : html`<table class="table"><caption>${t('assignment.candidates')}</caption>
<thead><tr><th scope="col"><span class="visually-hidden">${t('assignment.submit')}</span></th><th scope="col">${t('assignment.person')}</th><th scope="col">${t('assignment.organisation')}</th><th scope="col">${t('assignment.status')}</th></tr></thead>
<tbody>${rows}</tbody></table>`}
  </div>
  <div class="form-group${invalid('mode') ? ' form-group--error' : ''}">
  <fieldset class="fieldset" id="mode"><legend>${t('assignment.mode')}</legend>
    ${fieldError(t, m.errors, 'mode')}
    <div class="checkbox"><input type="radio" id="mode-opinion" name="mode" value="opinion"${m.mode === 'opinion' ? html` checked` : ''}><label for="mode-opinion">${t('assignment.modeOpinion')}</label></div>
    <div class="checkbox"><input type="radio" id="mode-council" name="mode" value="council"${m.mode === 'council' ? html` checked` : ''}><label for="mode-council">${t('assignment.modeCouncil')}</label></div>
  </fieldset></div>
  ${m.allowed ? html`<button type="submit" class="button" id="assign-submit">${t('assignment.submit')}</button>` : ''}
</form>`;
}
