import { html, type Html } from '../html';
import type { Translate } from '../i18n/translator';
import { errorSummary, fieldError, type FieldError } from './layout.view';
import { stateTag } from './projects.view';
import type { ProjectHeaderModel } from './project.view';

/** A GET form's text input (search forms carry no CSRF token: they change nothing). */
function input(m: { t: Translate; id: string; label: string; hint?: string; value: string; type?: string; errors: readonly FieldError[]; step?: string }): Html {
  const invalid = m.errors.some((e) => e.field === m.id);
  const described = [m.hint ? `${m.id}-hint` : '', invalid ? `${m.id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="form-group${invalid ? ' form-group--error' : ''}">
  <label class="label" for="${m.id}">${m.label}</label>
  ${m.hint ? html`<span class="hint" id="${m.id}-hint">${m.hint}</span>` : ''}
  ${fieldError(m.t, m.errors, m.id)}
  <input class="input" id="${m.id}" name="${m.id}" type="${m.type ?? 'text'}" value="${m.value}"${m.step ? html` step="${m.step}"` : ''}${described ? html` aria-describedby="${described}"` : ''}>
</div>`;
}

export interface EventRowModel {
  seq: number;
  at: string;
  iso: string;
  actor: string;
  action: string;
  transition: string;
  chain: { href: string; text: string } | null;
  chainSeq: number;
  hash: string;
  asOfHref: string | null;
}

export interface AuditSearchModel {
  t: Translate;
  values: { project: string; actor: string; action: string; from: string; to: string };
  errors: FieldError[];
  searched: boolean;
  choices: Array<{ href: string; text: string }>;
  rows: EventRowModel[];
  nextHref: string | null;
  exports: { csv: string; ndjson: string } | null;
}

function eventsTable(t: Translate, rows: EventRowModel[], caption: string, opts: { chain: boolean; asOf: boolean }): Html {
  return html`<table class="table audit-events"><caption>${caption}</caption>
<thead><tr><th scope="col">${t('audit.seq')}</th>${opts.chain ? html`<th scope="col">${t('audit.chain')}</th>` : html`<th scope="col">${t('audit.chainSeq')}</th>`}<th scope="col">${t('audit.time')}</th><th scope="col">${t('audit.who')}</th><th scope="col">${t('audit.what')}</th><th scope="col">${t('audit.transition')}</th><th scope="col">${t('audit.hash')}</th>${opts.asOf ? html`<th scope="col"><span class="visually-hidden">${t('audit.asOfLink')}</span></th>` : ''}</tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr><td class="num">${r.seq}</td>${opts.chain ? html`<td>${r.chain ? html`<a href="${r.chain.href}">${r.chain.text}</a>` : html`<span class="muted">system</span>`}</td>` : html`<td class="num">${r.chainSeq}</td>`}<td><time datetime="${r.iso}">${r.at}</time></td><td>${r.actor}</td><td class="mono">${r.action}</td><td>${r.transition}</td><td class="mono">${r.hash}</td>${opts.asOf ? html`<td>${r.asOfHref ? html`<a href="${r.asOfHref}">${t('audit.asOfLink')}<span class="visually-hidden"> ${r.seq}</span></a>` : ''}</td>` : ''}</tr>`,
  )}</tbody></table>`;
}

export function auditSearchView(m: AuditSearchModel): Html {
  const { t } = m;
  return html`${errorSummary(t, m.errors)}<h1>${t('audit.title')}</h1><p class="lead">${t('audit.intro')}</p>
<ul class="button-group audit-links"><li><a href="/audit/verify">${t('verify.title')}</a></li><li><a href="/audit/reports">${t('reports.title')}</a></li></ul>
<form method="get" action="/audit" class="audit-search" novalidate>
  ${input({ t, id: 'project', label: t('audit.project'), hint: t('audit.projectHint'), value: m.values.project, errors: m.errors })}
  ${input({ t, id: 'actor', label: t('audit.actor'), value: m.values.actor, errors: m.errors })}
  ${input({ t, id: 'action', label: t('audit.action'), hint: t('audit.actionHint'), value: m.values.action, errors: m.errors })}
  ${input({ t, id: 'from', label: t('audit.from'), value: m.values.from, type: 'datetime-local', step: '1', errors: m.errors })}
  ${input({ t, id: 'to', label: t('audit.to'), value: m.values.to, type: 'datetime-local', step: '1', errors: m.errors })}
  <button type="submit" class="button">${t('audit.search')}</button>
</form>
${m.choices.length ? html`<ul class="task-list">${m.choices.map((c) => html`<li><a href="${c.href}">${c.text}</a></li>`)}</ul>` : ''}
${m.searched
  ? html`<h2 id="results">${t('audit.results', { count: m.rows.length })}</h2>
${m.rows.length === 0 ? html`<p>${t('audit.none')}</p>` : eventsTable(t, m.rows, t('audit.caption'), { chain: true, asOf: false })}
${m.nextHref ? html`<p><a href="${m.nextHref}" rel="next">${t('audit.next')}</a></p>` : ''}
${m.exports ? html`<h2>${t('audit.export')}</h2><ul class="task-list"><li><a href="${m.exports.csv}" download>${t('audit.exportCsv')}</a></li><li><a href="${m.exports.ndjson}" download>${t('audit.exportNdjson')}</a></li></ul>` : ''}`
  : ''}`;
}

export interface AsOfModel {
  at: string;
  existed: boolean;
  rows: Array<{ key: string; value: string; differs: boolean | null }>;
  consistent: boolean;
  problems: string[];
  documents: Array<{ component: string; name: string; version: number; sha256: string }>;
}

export interface TimelineModel {
  t: Translate;
  project: ProjectHeaderModel;
  rows: EventRowModel[];
  asOfValue: string;
  errors: FieldError[];
  asOf: AsOfModel | null;
}

export function timelineView(m: TimelineModel): Html {
  const { t } = m;
  const a = m.asOf;
  return html`${errorSummary(t, m.errors)}
<p class="muted"><a href="${m.project.href}">${m.project.code}</a> · ${m.project.name} · ${stateTag(m.project.state, m.project.stateTag)}</p>
<h1>${t('audit.timelineOf', { code: m.project.code })}</h1>
<h2 id="as-of">${t('audit.asOf')}</h2>
<form method="get" action="${m.project.href.replace(/^\/projects\//, '/audit/projects/')}#as-of" class="search" novalidate>
  ${input({ t, id: 'at', label: t('audit.asOfAt'), hint: t('audit.asOfHint'), value: m.asOfValue, type: 'datetime-local', step: '1', errors: m.errors })}
  <button type="submit" class="button">${t('audit.asOfSubmit')}</button>
</form>
${a
  ? html`<section class="card as-of" aria-labelledby="as-of-result"><h3 id="as-of-result">${t('audit.asOfResult', { at: a.at })}</h3>
${!a.existed
  ? html`<p>${t('audit.asOfNotYet')}</p>`
  : html`<dl class="summary">${a.rows.map((r) => html`<div><dt>${r.key}</dt><dd>${r.value}${r.differs === null ? '' : html` ${stateTag(r.differs ? t('audit.asOfDiffers') : t('audit.asOfSame'), r.differs ? 'tag--yellow' : 'tag--grey')}`}</dd></div>`)}</dl>
<p>${a.consistent ? stateTag(t('audit.asOfConsistent'), 'tag--green') : stateTag(t('audit.asOfInconsistent', { count: a.problems.length }), 'tag--red')}</p>
${a.problems.length ? html`<ul>${a.problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
${a.documents.length
  ? html`<table class="table"><caption>${t('audit.asOfDocuments')}</caption><thead><tr><th scope="col">${t('dossier.receiptComponent')}</th><th scope="col">${t('dossier.receiptName')}</th><th scope="col">${t('dossier.receiptVersion')}</th><th scope="col">${t('dossier.receiptSha')}</th></tr></thead>
<tbody>${a.documents.map((d) => html`<tr><td>${d.component}</td><td>${d.name}</td><td class="num">${d.version}</td><td class="mono">${d.sha256}</td></tr>`)}</tbody></table>`
  : ''}`}</section>`
  : ''}
<h2 id="timeline">${t('audit.timeline')}</h2>
<p>${t('audit.timelineIntro')}</p>
${m.rows.length === 0 ? html`<p>${t('audit.none')}</p>` : eventsTable(t, m.rows, t('audit.timelineOf', { code: m.project.code }), { chain: false, asOf: true })}`;
}

export interface VerifyModel {
  t: Translate;
  full: boolean;
  errors: FieldError[];
  result: {
    ok: boolean;
    problemCount: number;
    rows: Array<{ key: string; value: string }>;
    firstBad: string | null;
    problems: Array<{ source: string; kind: string; detail: string }>;
  } | null;
  offline: { events: string; checkpoints: string; publicKey: string; command: string };
}

export function verifyView(m: VerifyModel): Html {
  const { t } = m;
  const r = m.result;
  return html`${errorSummary(t, m.errors)}<h1>${t('verify.title')}</h1><p class="lead">${t('verify.intro')}</p>
<form method="get" action="/audit/verify" novalidate>
  <input type="hidden" name="run" value="1">
  <div class="form-group checkbox"><input type="checkbox" id="full" name="full" value="yes"${m.full ? html` checked` : ''}><label for="full">${t('verify.full')}</label></div>
  <button type="submit" class="button" id="verify-now">${t('verify.run')}</button>
</form>
${r
  ? html`<section aria-labelledby="verify-result" class="verify-result"><h2 id="verify-result" tabindex="-1">${r.ok ? stateTag(t('verify.ok'), 'tag--green') : stateTag(t('verify.bad', { count: r.problemCount }), 'tag--red')}</h2>
<dl class="summary">${r.rows.map((x) => html`<div><dt>${x.key}</dt><dd>${x.value}</dd></div>`)}</dl>
${r.firstBad ? html`<p>${r.firstBad}</p>` : ''}
${r.problems.length
  ? html`<table class="table"><caption>${t('verify.problems')}</caption><thead><tr><th scope="col">${t('verify.problemSource')}</th><th scope="col">${t('verify.problemKind')}</th><th scope="col">${t('verify.problemDetail')}</th></tr></thead>
<tbody>${r.problems.map((p) => html`<tr><td>${p.source}</td><td class="mono">${p.kind}</td><td>${p.detail}</td></tr>`)}</tbody></table>`
  : ''}</section>`
  : ''}
<h2 id="offline">${t('verify.offline')}</h2>
<ul class="task-list"><li><a href="${m.offline.events}" download="events.ndjson">${t('verify.downloadEvents')}</a></li><li><a href="${m.offline.checkpoints}" download="checkpoints.json">${t('verify.downloadCheckpoints')}</a></li><li><a href="${m.offline.publicKey}" download="checkpoint.pub.pem">${t('verify.downloadKey')}</a></li></ul>
<p>${t('verify.offlineIntro')}</p>
<pre class="command"><code>${m.offline.command}</code></pre>`;
}

export interface ReportsModel {
  t: Translate;
  values: { from: string; to: string };
  errors: FieldError[];
  period: string | null;
  coverage: { rows: Array<{ key: string; value: string }>; violations: Array<{ kind: string; project: string; detail: string }>; generated: string } | null;
  onTime: { rows: Array<{ step: string; cells: string[] }>; overall: string[] } | null;
  downloads: Array<{ href: string; text: string }>;
}

export function reportsView(m: ReportsModel): Html {
  const { t } = m;
  return html`${errorSummary(t, m.errors)}<h1>${t('reports.title')}</h1><p class="lead">${t('reports.intro')}</p>
<form method="get" action="/audit/reports" class="search" novalidate>
  ${input({ t, id: 'from', label: t('reports.from'), hint: t('reports.dateHint'), value: m.values.from, type: 'date', errors: m.errors })}
  ${input({ t, id: 'to', label: t('reports.to'), hint: t('reports.dateHint'), value: m.values.to, type: 'date', errors: m.errors })}
  <button type="submit" class="button">${t('reports.show')}</button>
</form>
${m.period ? html`<p><strong>${m.period}</strong></p>` : ''}
${m.coverage
  ? html`<h2 id="coverage">${t('reports.coverage')}</h2>
${m.coverage.violations.length === 0
  ? html`<div class="notice notice--ok" role="status" id="violations">${t('reports.violationsNone')}</div>`
  : html`<div class="error-summary" id="violations"><h3 class="error-summary__title">${t('reports.violations', { count: m.coverage.violations.length })}</h3></div>
<table class="table"><caption>${t('reports.violations', { count: m.coverage.violations.length })}</caption><thead><tr><th scope="col">${t('reports.violationKind')}</th><th scope="col">${t('reports.violationProject')}</th><th scope="col">${t('reports.violationDetail')}</th></tr></thead>
<tbody>${m.coverage.violations.map((v) => html`<tr><td class="mono">${v.kind}</td><td>${v.project}</td><td>${v.detail}</td></tr>`)}</tbody></table>`}
<dl class="summary">${m.coverage.rows.map((x) => html`<div><dt>${x.key}</dt><dd>${x.value}</dd></div>`)}</dl>
<p class="muted">${m.coverage.generated}</p>`
  : ''}
${m.onTime
  ? html`<h2 id="on-time">${t('reports.onTime')}</h2>
<table class="table"><caption>${t('reports.onTimeCaption')}</caption>
<thead><tr><th scope="col">${t('reports.step')}</th><th scope="col">${t('reports.total')}</th><th scope="col">${t('reports.onTimeCount')}</th><th scope="col">${t('reports.late')}</th><th scope="col">${t('reports.running')}</th><th scope="col">${t('reports.overdue')}</th><th scope="col">${t('reports.paused')}</th><th scope="col">${t('reports.withdrawn')}</th><th scope="col">${t('reports.rate')}</th></tr></thead>
<tbody>${m.onTime.rows.map((r) => html`<tr><th scope="row" class="mono">${r.step}</th>${r.cells.map((c) => html`<td class="num">${c}</td>`)}</tr>`)}</tbody>
<tfoot><tr><th scope="row">${t('reports.overall')}</th>${m.onTime.overall.map((c) => html`<td class="num"><strong>${c}</strong></td>`)}</tr></tfoot></table>`
  : ''}
${m.downloads.length ? html`<h2>${t('reports.download')}</h2><ul class="task-list">${m.downloads.map((d) => html`<li><a href="${d.href}" download>${d.text}</a></li>`)}</ul>` : ''}`;
}
