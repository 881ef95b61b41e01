import { html, type Html } from '../html';
import type { Translate } from '../i18n/translator';
import { stateTag } from './projects.view';

/** One open step: the texts are built by the page (no logic here beyond mapping the rows). */
export interface DeadlineRowModel {
  href: string;
  code: string;
  name: string;
  step: string;
  due: string;
  /** "còn 3 ngày", "QUÁ HẠN 2 ngày", "Tạm dừng": in words, never colour only. */
  left: string;
  status: string;
  tone: string;
  overdue: boolean;
}

export function slaBoardView(m: { t: Translate; rows: DeadlineRowModel[]; summary: string }): Html {
  const { t } = m;
  return html`<h1>${t('board.title')}</h1>
<p class="lead">${t('board.intro')}</p>
<p>${m.summary}</p>
${m.rows.length === 0
  ? html`<p>${t('board.none')}</p>`
  : html`<table class="table board"><caption class="visually-hidden">${t('board.title')}</caption>
<thead><tr><th scope="col">${t('board.project')}</th><th scope="col">${t('board.step')}</th><th scope="col">${t('board.due')}</th><th scope="col">${t('board.left')}</th><th scope="col">${t('board.status')}</th></tr></thead>
<tbody>${m.rows.map(
      (r) => html`<tr${r.overdue ? html` class="board__row--overdue"` : ''}><th scope="row"><a href="${r.href}"><span class="mono">${r.code}</span></a><br>${r.name}</th><td>${r.step}</td><td>${r.due}</td><td>${r.overdue ? html`<strong>${r.left}</strong>` : r.left}</td><td>${stateTag(r.status, r.tone)}</td></tr>`,
    )}</tbody></table>
<p class="hint">${t('board.daysNote')}</p>`}`;
}
