import { html, type Html } from '../html';
import type { Translate } from '../i18n/translator';
import { csrfField, errorSummary, type FieldError } from './layout.view';
import { checkbox, select, textArea, textInput } from './forms.view';

export interface ProjectRowModel {
  href: string;
  code: string;
  name: string;
  state: string;
  stateTag: string;
  updated: string;
}

export interface ProjectListModel {
  t: Translate;
  q: string;
  canRegister: boolean;
  rows: ProjectRowModel[];
  nextHref: string | null;
}

export function stateTag(text: string, tone: string): Html {
  return html`<span class="tag ${tone}">${text}</span>`;
}

export function projectListView(m: ProjectListModel): Html {
  const { t } = m;
  return html`<h1>${t('projects.title')}</h1>
<p class="lead">${t('projects.intro')}</p>
${m.canRegister ? html`<p><a class="button" href="/projects/new">${t('projects.newButton')}</a></p>` : ''}
<form method="get" action="/projects" class="search" role="search">
  <div class="form-group"><label class="label" for="q">${t('projects.search')}</label><input class="input" id="q" name="q" type="search" value="${m.q}"></div>
  <button type="submit" class="button button--secondary">${t('projects.searchButton')}</button>
</form>
${m.rows.length === 0
  ? html`<p>${t('projects.none')}</p>`
  : html`<table class="table">
  <caption class="visually-hidden">${t('projects.title')}</caption>
  <thead><tr><th scope="col">${t('projects.code')}</th><th scope="col">${t('projects.name')}</th><th scope="col">${t('projects.state')}</th><th scope="col">${t('projects.updated')}</th></tr></thead>
  <tbody>${m.rows.map((r) => html`<tr><td class="mono"><a href="${r.href}">${r.code}</a></td><td>${r.name}</td><td>${stateTag(r.state, r.stateTag)}</td><td>${r.updated}</td></tr>`)}</tbody>
</table>`}
${m.nextHref ? html`<p><a href="${m.nextHref}">${t('projects.more')}</a></p>` : ''}`;
}

export interface Option {
  value: string;
  text: string;
}

export interface NewProjectModel {
  t: Translate;
  csrfToken: string;
  idempotencyKey: string;
  values: Record<string, string>;
  errors: FieldError[];
  sectors: Option[];
  stages: Option[];
  groups: Option[];
  sources: Option[];
  levels: Option[];
  environmentalGroups: Option[];
  construction: Option[];
}

export function newProjectView(m: NewProjectModel): Html {
  const { t, values: v, errors } = m;
  const c = { t, errors };
  return html`<div class="narrow">
${errorSummary(t, errors)}
<h1>${t('new.title')}</h1>
<p>${t('new.intro')}</p>
<form method="post" action="/projects" novalidate>
  ${csrfField(m.csrfToken)}<input type="hidden" name="_idem" value="${m.idempotencyKey}">
  ${textInput({ ...c, id: 'name', label: t('field.name'), value: v.name ?? '' })}
  ${textArea({ ...c, id: 'description', label: t('field.description'), value: v.description ?? '' })}
  ${select({ ...c, id: 'sector', label: t('field.sector'), value: v.sector ?? '', options: m.sectors })}
  ${textInput({ ...c, id: 'location', label: t('field.location'), value: v.location ?? '' })}
  ${textInput({ ...c, id: 'capitalVnd', label: t('field.capitalVnd'), hint: t('field.capitalHint'), value: v.capitalVnd ?? '', inputmode: 'numeric' })}
  ${select({ ...c, id: 'stage', label: t('field.stage'), value: v.stage ?? '', options: m.stages })}
  ${select({ ...c, id: 'group', label: t('field.group'), value: v.group ?? '', options: m.groups })}
  ${select({ ...c, id: 'capitalSource', label: t('field.capitalSource'), value: v.capitalSource ?? '', options: m.sources })}
  ${select({ ...c, id: 'decidingLevel', label: t('field.decidingLevel'), value: v.decidingLevel ?? '', options: m.levels })}
  ${select({ ...c, id: 'environmentalGroup', label: t('field.environmentalGroup'), hint: t('field.environmentalGroupHint'), value: v.environmentalGroup ?? '', options: m.environmentalGroups })}
  ${select({ ...c, id: 'construction', label: t('field.construction'), hint: t('field.constructionHint'), value: v.construction ?? '', options: m.construction })}
  ${checkbox({ id: 'highTechZone', label: t('field.highTechZone'), checked: v.highTechZone === 'yes' })}
  ${checkbox({ id: 'technologyAsCapital', label: t('field.technologyAsCapital'), checked: v.technologyAsCapital === 'yes' })}
  <button type="submit" class="button">${t('common.continue')}</button>
</form>
</div>`;
}
