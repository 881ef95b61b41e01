import { html, type Html } from '../html';
import type { Translate } from '../i18n/translator';
import { csrfField, errorSummary, fieldError, type FieldError } from './layout.view';
import { stateTag } from './projects.view';
import type { ProjectHeaderModel } from './project.view';

export interface QueueRowModel {
  href: string;
  code: string;
  name: string;
  due: string;
  dueIso: string | null;
  dueStatus: string;
  dueTone: string;
}

export function decisionsQueueView(m: { t: Translate; rows: QueueRowModel[] }): Html {
  const { t } = m;
  return html`<h1>${t('decisions.title')}</h1><p class="lead">${t('decisions.intro')}</p>
${m.rows.length === 0
  ? html`<p>${t('decisions.none')}</p>`
  : html`<table class="table"><caption class="visually-hidden">${t('decisions.title')}</caption>
<thead><tr><th scope="col">${t('projects.code')}</th><th scope="col">${t('projects.name')}</th><th scope="col">${t('decisions.due')}</th><th scope="col"><span class="visually-hidden">${t('decisions.open')}</span></th></tr></thead>
<tbody>${m.rows.map(
      (r) =>
        html`<tr><td class="mono">${r.code}</td><td>${r.name}</td><td>${r.dueIso ? html`<time datetime="${r.dueIso}">${r.due}</time> ${stateTag(r.dueStatus, r.dueTone)}` : r.due}</td><td><a href="${r.href}">${t('decisions.open')}<span class="visually-hidden"> ${r.code}</span></a></td></tr>`,
    )}</tbody></table>`}`;
}

export interface FindingRowModel {
  severity: string;
  tone: string;
  subject: string;
  evidence: string;
  citation: string;
  unverified: boolean;
}

export interface MatrixModel {
  /** One column per opinion of the round. */
  columns: Array<{ appraiser: string; recommendation: string; stale: boolean; recordedAt: string }>;
  /** One row per criterion of the project's rulebook version. */
  rows: Array<{ criterion: string; cells: Array<{ verdict: string; tone: string; comment: string }> }>;
  conditions: string[];
  documents: Array<{ appraiser: string; items: Array<{ component: string; name: string; version: string; sha256: string; current: boolean }> }>;
}

export interface OutcomeOptionModel {
  outcome: string;
  label: string;
  allowed: boolean;
  reason: string;
  code: string;
}

export interface DecisionPageModel {
  t: Translate;
  project: ProjectHeaderModel;
  notice: string | null;
  findings: { screened: boolean; intro: string; route: string | null; rows: FindingRowModel[] };
  appraisalSummary: string | null;
  matrix: MatrixModel;
  options: OutcomeOptionModel[];
  form: {
    action: string;
    csrfToken: string;
    revision: number;
    idempotencyKey: string;
    open: boolean;
    values: { outcome: string; reason: string; cite: string; conditions: string };
    citeOptions: Array<{ value: string; text: string }>;
    opinionConditions: string[];
  };
  recorded: { text: string; reasons: string[]; conditions: string[] } | null;
  slips: Array<{ href: string; label: string; code: string }>;
  errors: FieldError[];
}

function findingsSection(m: DecisionPageModel): Html {
  const { t } = m;
  const f = m.findings;
  return html`<h2 id="findings">${t('decision.findings')}</h2>
${!f.screened
  ? html`<p>${t('decision.notScreened')}</p>`
  : html`<p>${f.intro}</p>${f.route ? html`<p>${f.route}</p>` : ''}
${f.rows.length === 0
  ? html`<p>${t('decision.noFindings')}</p>`
  : html`<table class="table"><caption class="visually-hidden">${t('decision.findings')}</caption>
<thead><tr><th scope="col">${t('decision.severity')}</th><th scope="col">${t('decision.subject')}</th><th scope="col">${t('decision.evidence')}</th><th scope="col">${t('decision.citation')}</th></tr></thead>
<tbody>${f.rows.map(
      (r) =>
        html`<tr><td>${stateTag(r.severity, r.tone)}</td><td>${r.subject}</td><td>${r.evidence}</td><td>${r.citation}${r.unverified ? html` ${stateTag(t('decision.unverified'), 'tag--yellow')}` : ''}</td></tr>`,
    )}</tbody></table>`}`}`;
}

function matrixSection(m: DecisionPageModel): Html {
  const { t } = m;
  const x = m.matrix;
  return html`<h2 id="opinions">${t('decision.opinions')}</h2>
${m.appraisalSummary ? html`<p>${m.appraisalSummary}</p>` : ''}
${x.columns.length === 0
  ? html`<p>${t('decision.noOpinions')}</p>`
  : html`<div class="matrix-scroll" role="region" aria-labelledby="matrix-caption" tabindex="0"><table class="table matrix"><caption id="matrix-caption">${t('decision.matrixCaption')}</caption>
<thead><tr><th scope="col">${t('decision.criterion')}</th>${x.columns.map(
      (c) => html`<th scope="col">${c.appraiser}<span class="muted matrix__when"> ${c.recordedAt}</span>${c.stale ? html` ${stateTag(t('decision.staleOpinion'), 'tag--yellow')}` : ''}</th>`,
    )}</tr></thead>
<tbody>${x.rows.map(
      (r) =>
        html`<tr><th scope="row">${r.criterion}</th>${r.cells.map((c) => html`<td>${stateTag(c.verdict, c.tone)}${c.comment ? html`<span class="matrix__comment">${c.comment}</span>` : ''}</td>`)}</tr>`,
    )}
<tr><th scope="row">${t('decision.recommendation')}</th>${x.columns.map((c) => html`<td><strong>${c.recommendation}</strong></td>`)}</tr></tbody></table></div>
${x.conditions.length ? html`<p>${t('decision.opinionConditions', { conditions: x.conditions.join('; ') })}</p>` : ''}
<h3>${t('decision.documentsCaption')}</h3>
${x.documents.map(
      (d) => html`<table class="table"><caption>${d.appraiser}</caption>
<thead><tr><th scope="col">${t('decision.document')}</th><th scope="col">${t('dossier.receiptName')}</th><th scope="col">${t('dossier.receiptVersion')}</th><th scope="col">${t('dossier.receiptSha')}</th></tr></thead>
<tbody>${d.items.map(
        (i) =>
          html`<tr><td>${i.component}</td><td>${i.name}</td><td>${i.version}${i.current ? '' : html` ${stateTag(t('decision.notCurrent'), 'tag--yellow')}`}</td><td class="mono">${i.sha256}</td></tr>`,
      )}</tbody></table>`,
    )}`}`;
}

function optionsSection(m: DecisionPageModel): Html {
  const { t } = m;
  return html`<h2 id="actions">${t('decision.actions')}</h2>
<ul class="task-list decision-options">${m.options.map(
    (o) =>
      html`<li id="option-${o.outcome}"><span class="decision-options__text"><strong>${o.label}</strong>${o.allowed ? '' : html`<span class="decision-options__reason">${o.reason} <span class="muted">(${t('refusal.code', { code: o.code })})</span></span>`}</span> ${stateTag(o.allowed ? t('decision.allowed') : t('decision.refused'), o.allowed ? 'tag--green' : 'tag--red')}</li>`,
  )}</ul>`;
}

function formSection(m: DecisionPageModel): Html {
  const { t } = m;
  const f = m.form;
  const invalid = (k: string) => m.errors.some((e) => e.field === k);
  if (!f.open) return html`<div class="notice">${t('decision.notAllowed')}</div>`;
  return html`<h2 id="decide">${t('decision.form')}</h2>
<form method="post" action="${f.action}" novalidate>
  ${csrfField(f.csrfToken)}<input type="hidden" name="revision" value="${f.revision}"><input type="hidden" name="_idem" value="${f.idempotencyKey}">
  <div class="form-group${invalid('outcome') ? ' form-group--error' : ''}">
  <fieldset class="fieldset" id="outcome"${invalid('outcome') ? html` aria-describedby="outcome-error"` : ''}><legend>${t('decision.outcome')}</legend>
    ${fieldError(t, m.errors, 'outcome')}
    ${m.options.map(
      (o) =>
        html`<div class="checkbox"><input type="radio" id="outcome-${o.outcome}" name="outcome" value="${o.outcome}"${o.allowed ? '' : html` disabled aria-describedby="option-${o.outcome}"`}${f.values.outcome === o.outcome ? html` checked` : ''}><label for="outcome-${o.outcome}">${o.label}${o.allowed ? '' : html` <span class="muted">(${t('decision.refused')})</span>`}</label></div>`,
    )}
  </fieldset></div>
  <div class="form-group${invalid('reason') ? ' form-group--error' : ''}">
  <label class="label" for="reason">${t('decision.reason')}</label><span class="hint" id="reason-hint">${t('decision.reasonHint')}</span>
  ${fieldError(t, m.errors, 'reason')}
  <textarea class="textarea" id="reason" name="reason" aria-describedby="reason-hint${invalid('reason') ? ' reason-error' : ''}">${f.values.reason}</textarea></div>
  <div class="form-group${invalid('cite') ? ' form-group--error' : ''}">
  <label class="label" for="cite">${t('decision.cite')}</label><span class="hint" id="cite-hint">${t('decision.citeHint')}</span>
  ${fieldError(t, m.errors, 'cite')}
  <select class="select" id="cite" name="cite" aria-describedby="cite-hint${invalid('cite') ? ' cite-error' : ''}"><option value="">${t('decision.citeNone')}</option>${f.citeOptions.map(
    (o) => html`<option value="${o.value}"${o.value === f.values.cite ? html` selected` : ''}>${o.text}</option>`,
  )}</select></div>
  <div class="form-group${invalid('conditions') ? ' form-group--error' : ''}">
  <label class="label" for="conditions">${t('decision.conditionsField')}</label><span class="hint" id="conditions-hint">${t('decision.conditionsHint')}${f.opinionConditions.length ? ` ${t('decision.opinionConditions', { conditions: f.opinionConditions.join('; ') })}` : ''}</span>
  ${fieldError(t, m.errors, 'conditions')}
  <textarea class="textarea" id="conditions" name="conditions" aria-describedby="conditions-hint${invalid('conditions') ? ' conditions-error' : ''}">${f.values.conditions}</textarea></div>
  <button type="submit" class="button">${t('decision.submit')}</button>
</form>`;
}

function slipsSection(m: DecisionPageModel): Html {
  const { t } = m;
  return html`<h2 id="slips">${t('decision.slips')}</h2>${m.slips.length === 0
    ? html`<p>${t('decision.slipsNone')}</p>`
    : html`<ul class="task-list">${m.slips.map((s) => html`<li><a href="${s.href}">${s.label}</a> <span class="muted mono">${s.code}</span></li>`)}</ul>`}`;
}

/** Once decided: the decision and its slips first. */
function recordedSection(m: DecisionPageModel): Html {
  const { t } = m;
  if (!m.recorded) return html``;
  return html`<h2 id="recorded">${t('decision.recorded')}</h2><p><strong>${m.recorded.text}</strong></p>
${m.recorded.reasons.length ? html`<ul>${m.recorded.reasons.map((r) => html`<li>${r}</li>`)}</ul>` : ''}
${m.recorded.conditions.length ? html`<p>${t('decision.conditions')}:</p><ul>${m.recorded.conditions.map((c) => html`<li>${c}</li>`)}</ul>` : ''}
${slipsSection(m)}`;
}

export function decisionView(m: DecisionPageModel): Html {
  const { t } = m;
  return html`${errorSummary(t, m.errors)}
${m.notice ? html`<div class="notice notice--ok" role="status">${m.notice}</div>` : ''}
<p class="muted"><a href="${m.project.href}">${m.project.code}</a> · ${m.project.name} · ${stateTag(m.project.state, m.project.stateTag)}</p>
<h1>${t('decision.title')}</h1>
${recordedSection(m)}
${findingsSection(m)}
${matrixSection(m)}
${optionsSection(m)}
${formSection(m)}
${!m.recorded && m.slips.length ? slipsSection(m) : ''}`;
}
