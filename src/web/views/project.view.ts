import { html, type Html } from '../html';
import type { Translate } from '../i18n/translator';
import { csrfField, errorSummary, type FieldError } from './layout.view';
import { stateTag } from './projects.view';
import { textArea, textInput, select } from './forms.view';
import { supplementRequestView, type SupplementRequestModel } from './clerk.view';

export interface NoticeModel {
  text: string;
}

function notice(n: NoticeModel | undefined): Html {
  return n ? html`<div class="notice notice--ok" role="status">${n.text}</div>` : html``;
}

export interface ProjectHeaderModel {
  code: string;
  name: string;
  state: string;
  stateTag: string;
  href: string;
}

function header(p: ProjectHeaderModel, heading: string): Html {
  return html`<p class="muted"><a href="${p.href}">${p.code}</a> · ${p.name} · ${stateTag(p.state, p.stateTag)}</p><h1>${heading}</h1>`;
}

export interface TaskModel {
  title: string;
  href: string | null;
  status: string;
  tone: string;
}

/** One statutory step of the procedure, as the deadlines table holds it, in words. */
export interface DeadlineRowModel {
  step: string;
  limit: string;
  /** The due date in words, or a dash while paused. */
  due: string;
  dueIso: string | null;
  /** Opened/paused/closed, days left or overdue, in words. */
  status: string;
  tone: string;
  detail: string;
  citation: string;
  unverified: string | null;
}

export interface SlipRowModel {
  title: string;
  formLabel: string | null;
  number: string;
  issued: string;
  issuedIso: string;
  code: string;
  href: string;
  download: string;
}

export interface ProjectOverviewModel {
  t: Translate;
  project: ProjectHeaderModel;
  notice?: NoticeModel;
  summary: Array<{ key: string; value: string }>;
  tasks: TaskModel[];
  supplement?: SupplementRequestModel;
  historyHref: string;
  /** The next steps the signed-in role may take here, each to its page (only registered pages). */
  nextSteps: Array<{ href: string; text: string }>;
  deadlines: DeadlineRowModel[];
  appointment: string | null;
  slips: SlipRowModel[];
}

function nextStepsView(t: Translate, steps: ProjectOverviewModel['nextSteps']): Html {
  return html`<h2>${t('next.title')}</h2>
${steps.length === 0 ? html`<p>${t('next.none')}</p>` : html`<ul class="next-steps">${steps.map((s) => html`<li><a class="button button--secondary" href="${s.href}">${s.text}</a></li>`)}</ul>`}`;
}

export function deadlinesView(t: Translate, rows: DeadlineRowModel[], appointment: string | null): Html {
  return html`<h2 id="deadlines">${t('deadlines.title')}</h2>
<p>${t('deadlines.intro')}</p>
${appointment ? html`<p class="notice"><strong>${appointment}</strong></p>` : ''}
${rows.length === 0
  ? html`<p>${t('deadlines.none')}</p>`
  : html`<table class="table">
  <caption class="visually-hidden">${t('deadlines.caption')}</caption>
  <thead><tr><th scope="col">${t('deadlines.step')}</th><th scope="col">${t('deadlines.limit')}</th><th scope="col">${t('deadlines.due')}</th><th scope="col">${t('deadlines.status')}</th><th scope="col">${t('deadlines.basis')}</th></tr></thead>
  <tbody>${rows.map(
    (r) => html`<tr><th scope="row">${r.step}</th><td>${r.limit}</td><td>${r.dueIso ? html`<time datetime="${r.dueIso}">${r.due}</time>` : r.due}</td><td>${stateTag(r.status, r.tone)}${r.detail ? html`<br><span class="muted">${r.detail}</span>` : ''}</td><td>${r.citation}${r.unverified ? html` <span class="muted">(${r.unverified})</span>` : ''}</td></tr>`,
  )}</tbody>
</table>`}`;
}

export function slipsView(t: Translate, slips: SlipRowModel[]): Html {
  return html`<h2 id="slips">${t('slips.title')}</h2>
<p>${t('slips.intro')}</p>
${slips.length === 0
  ? html`<p>${t('slips.none')}</p>`
  : html`<table class="table">
  <caption class="visually-hidden">${t('slips.caption')}</caption>
  <thead><tr><th scope="col">${t('slips.document')}</th><th scope="col">${t('slips.number')}</th><th scope="col">${t('slips.issued')}</th><th scope="col">${t('slips.code')}</th><th scope="col">${t('slips.file')}</th></tr></thead>
  <tbody>${slips.map(
    (s) => html`<tr><th scope="row">${s.title}${s.formLabel ? html`<br><span class="muted">${s.formLabel}</span>` : ''}</th><td class="mono">${s.number}</td><td><time datetime="${s.issuedIso}">${s.issued}</time></td><td class="mono">${s.code}</td><td><a href="${s.href}" download>${s.download}</a></td></tr>`,
  )}</tbody>
</table>`}`;
}

export function projectOverviewView(m: ProjectOverviewModel): Html {
  const { t } = m;
  return html`${notice(m.notice)}
<p class="muted">${m.project.code} · ${stateTag(m.project.state, m.project.stateTag)}</p>
<h1>${m.project.name}</h1>
${m.supplement ? supplementRequestView(m.supplement) : ''}
${nextStepsView(t, m.nextSteps)}
<h2>${t('project.tasks')}</h2>
<ul class="task-list">${m.tasks.map(
    (task) => html`<li>${task.href ? html`<a href="${task.href}">${task.title}</a>` : html`<span>${task.title}</span>`} ${stateTag(task.status, task.tone)}</li>`,
  )}</ul>
<h2>${t('project.overview')}</h2>
<dl class="summary">${m.summary.map((s) => html`<div><dt>${s.key}</dt><dd>${s.value}</dd></div>`)}</dl>
${deadlinesView(t, m.deadlines, m.appointment)}
${slipsView(t, m.slips)}
<p><a href="${m.historyHref}">${t('project.timeline')}</a></p>`;
}

export interface TechnologyRow {
  name: string;
  origin: string;
  description: string;
}

export interface MachineRow {
  name: string;
  hsCode: string;
  manufactureYear: string;
  condition: string;
  remainingCapacityPct: string;
  standards: string;
}

export interface TechnologyFormModel {
  t: Translate;
  project: ProjectHeaderModel;
  action: string;
  csrfToken: string;
  revision: number;
  notice?: NoticeModel;
  technologies: TechnologyRow[];
  machinery: MachineRow[];
  errors: FieldError[];
  editable: boolean;
}

export function technologyFormView(m: TechnologyFormModel): Html {
  const { t, errors } = m;
  const c = { t, errors };
  const conditions = [
    { value: 'new', text: t('tech.new') },
    { value: 'used', text: t('tech.used') },
  ];
  return html`${errorSummary(t, errors)}${notice(m.notice)}
${header(m.project, t('tech.title'))}
<p>${t('tech.intro')}</p>
${m.editable ? '' : html`<div class="notice">${t('dossier.readOnly')}</div>`}
<form method="post" action="${m.action}" novalidate>
  ${csrfField(m.csrfToken)}<input type="hidden" name="revision" value="${m.revision}">
  <input type="hidden" name="technologyCount" value="${m.technologies.length}"><input type="hidden" name="machineCount" value="${m.machinery.length}">
  <h2>${t('tech.technologies')}</h2>
  ${m.technologies.map(
    (row, i) => html`<fieldset class="fieldset card"><legend>${t('tech.technology', { n: i + 1 })}</legend>
    ${textInput({ ...c, id: `t${i}-name`, label: t('tech.techName'), value: row.name })}
    ${textInput({ ...c, id: `t${i}-origin`, label: t('tech.origin'), value: row.origin })}
    ${textArea({ ...c, id: `t${i}-description`, label: t('tech.techDescription'), value: row.description })}
    ${m.technologies.length > 1 && m.editable ? html`<button type="submit" name="op" value="remove-t${i}" class="button button--secondary button--small">${t('tech.remove', { what: t('tech.technology', { n: i + 1 }) })}</button>` : ''}
  </fieldset>`,
  )}
  ${m.editable ? html`<p><button type="submit" name="op" value="add-technology" class="button button--secondary">${t('tech.addTechnology')}</button></p>` : ''}
  <h2>${t('tech.machinery')}</h2>
  ${m.machinery.length === 0 ? html`<p>${t('tech.noMachinery')}</p>` : ''}
  ${m.machinery.map(
    (row, i) => html`<fieldset class="fieldset card"><legend>${t('tech.machine', { n: i + 1 })}</legend>
    ${textInput({ ...c, id: `m${i}-name`, label: t('tech.machineName'), value: row.name })}
    ${textInput({ ...c, id: `m${i}-hsCode`, label: t('tech.hsCode'), hint: t('tech.hsHint'), value: row.hsCode, short: true })}
    ${textInput({ ...c, id: `m${i}-manufactureYear`, label: t('tech.year'), value: row.manufactureYear, inputmode: 'numeric', short: true })}
    ${select({ ...c, id: `m${i}-condition`, label: t('tech.condition'), value: row.condition, options: conditions })}
    ${textInput({ ...c, id: `m${i}-remainingCapacityPct`, label: t('tech.remaining'), value: row.remainingCapacityPct, inputmode: 'decimal', short: true })}
    ${textArea({ ...c, id: `m${i}-standards`, label: t('tech.standards'), value: row.standards })}
    ${m.editable ? html`<button type="submit" name="op" value="remove-m${i}" class="button button--secondary button--small">${t('tech.remove', { what: t('tech.machine', { n: i + 1 }) })}</button>` : ''}
  </fieldset>`,
  )}
  ${m.editable
    ? html`<p><button type="submit" name="op" value="add-machine" class="button button--secondary">${t('tech.addMachine')}</button></p>
  <div class="button-group"><button type="submit" name="op" value="save" class="button">${t('tech.save')}</button></div>`
    : ''}
</form>`;
}

export interface DossierItemModel {
  component: string;
  title: string;
  citation: string;
  /** Set when the rulebook marks the item's basis unverified. */
  unverified: string | null;
  required: boolean;
  present: boolean;
  current: { name: string; version: number } | null;
}

export interface ReceiptModel {
  name: string;
  size: string;
  sha256: string;
  component: string;
  version: number;
  at: string;
}

export interface DossierModel {
  t: Translate;
  project: ProjectHeaderModel;
  maxSize: string;
  editable: boolean;
  csrfToken: string;
  revision: number;
  items: DossierItemModel[];
  receipt?: ReceiptModel;
  files: ReceiptModel[];
  errors: FieldError[];
  checkHref: string;
  supplement?: SupplementRequestModel;
}

function receiptList(t: Translate, r: ReceiptModel): Html {
  return html`<dl class="summary">
  <div><dt>${t('dossier.receiptName')}</dt><dd>${r.name}</dd></div>
  <div><dt>${t('dossier.receiptComponent')}</dt><dd>${r.component}</dd></div>
  <div><dt>${t('dossier.receiptVersion')}</dt><dd>${r.version}</dd></div>
  <div><dt>${t('dossier.receiptSize')}</dt><dd>${r.size}</dd></div>
  <div><dt>${t('dossier.receiptSha')}</dt><dd class="mono">${r.sha256}</dd></div>
  <div><dt>${t('dossier.receiptAt')}</dt><dd>${r.at}</dd></div>
</dl>`;
}

export function dossierView(m: DossierModel): Html {
  const { t } = m;
  return html`${errorSummary(t, m.errors)}
${m.receipt
  ? html`<div class="notice notice--ok" role="status" id="receipt"><h2>${t('dossier.receipt')}</h2><p>${t('dossier.uploaded', { name: m.receipt.name })}</p>${receiptList(t, m.receipt)}</div>`
  : ''}
${header(m.project, t('dossier.title'))}
${m.supplement ? supplementRequestView(m.supplement) : ''}
<p>${t('dossier.intro', { max: m.maxSize })}</p>
${m.editable ? '' : html`<div class="notice">${t('dossier.readOnly')}</div>`}
<ul class="task-list">${m.items.map(
    (item) => html`<li id="item-${item.component}">
    <strong>${item.title}</strong>
    <span>${stateTag(item.required ? t('dossier.required') : t('dossier.optional'), 'tag--grey')} ${stateTag(item.present ? t('dossier.present') : t('dossier.missing'), item.present ? 'tag--green' : item.required ? 'tag--red' : 'tag--grey')}</span>
    <span class="basis">${t('dossier.basis', { citation: item.citation })}${item.unverified ? html` <span class="muted">(${item.unverified})</span>` : ''}</span>
    ${item.current ? html`<span class="basis">${t('dossier.current', { name: item.current.name, version: item.current.version })}</span>` : ''}
    ${m.editable
      ? html`<form method="post" action="/projects/${m.project.href.split('/').pop()}/documents?_csrf=${encodeURIComponent(m.csrfToken)}" enctype="multipart/form-data" class="search">
      <input type="hidden" name="component" value="${item.component}">
      <div class="form-group${m.errors.some((e) => e.field === `file-${item.component}`) ? ' form-group--error' : ''}"><label class="label" for="file-${item.component}">${t('dossier.chooseFile', { title: item.title })}</label>
      <input class="input" type="file" id="file-${item.component}" name="file" accept=".pdf,.doc,.docx,.xls,.xlsx,.png,.jpg,.jpeg,.tif,.tiff,.zip"></div>
      <button type="submit" class="button button--secondary">${t('dossier.upload')}</button>
    </form>`
      : ''}
  </li>`,
  )}</ul>
${m.files.length
  ? html`<h2>${t('dossier.files')}</h2><table class="table"><thead><tr><th scope="col">${t('dossier.receiptName')}</th><th scope="col">${t('dossier.receiptComponent')}</th><th scope="col">${t('dossier.receiptVersion')}</th><th scope="col">${t('dossier.receiptSize')}</th><th scope="col">${t('dossier.receiptSha')}</th></tr></thead>
<tbody>${m.files.map((f) => html`<tr><td>${f.name}</td><td>${f.component}</td><td class="num">${f.version}</td><td class="num">${f.size}</td><td class="mono">${f.sha256}</td></tr>`)}</tbody></table>`
  : ''}
<p><a class="button" href="${m.checkHref}">${t('project.taskSubmit')}</a></p>`;
}

export interface CheckModel {
  t: Translate;
  project: ProjectHeaderModel;
  csrfToken: string;
  revision: number;
  idempotencyKey: string;
  problems: FieldError[];
  /** Where each problem is fixed (the summary links there). */
  fixHref: (field: string) => string;
  canSubmit: boolean;
  blockedReason: string | null;
  action: string;
}

export function checkView(m: CheckModel): Html {
  const { t } = m;
  return html`${m.problems.length
    ? html`<div class="error-summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title"><h2 class="error-summary__title" id="error-summary-title">${t('error.summaryTitle')}</h2>
<ul class="error-summary__list">${m.problems.map((p) => html`<li><a href="${m.fixHref(p.field)}">${p.message}</a></li>`)}</ul></div>`
    : ''}
${header(m.project, t('check.title'))}
<p>${t('check.intro')}</p>
${m.problems.length === 0 && m.canSubmit ? html`<div class="notice notice--ok">${t('check.ready')}</div>` : ''}
${m.blockedReason ? html`<div class="notice">${m.blockedReason}</div>` : ''}
${m.canSubmit
  ? html`<form method="post" action="${m.action}">${csrfField(m.csrfToken)}<input type="hidden" name="revision" value="${m.revision}"><input type="hidden" name="_idem" value="${m.idempotencyKey}">
  <button type="submit" class="button">${t('check.submit')}</button></form>`
  : ''}`;
}

export interface TimelineEntry {
  at: string;
  iso: string;
  action: string;
  detail: string;
}

export function historyView(m: { t: Translate; project: ProjectHeaderModel; entries: TimelineEntry[]; deadlines: DeadlineRowModel[]; appointment: string | null }): Html {
  const { t } = m;
  return html`${header(m.project, t('history.title'))}
${deadlinesView(t, m.deadlines, m.appointment)}
<h2>${t('history.events')}</h2>
${m.entries.length === 0 ? html`<p>${t('history.none')}</p>` : html`<ol class="timeline">${m.entries.map((e) => html`<li><time datetime="${e.iso}">${e.at}</time><strong>${e.action}</strong> <span class="muted">${e.detail}</span></li>`)}</ol>`}`;
}
