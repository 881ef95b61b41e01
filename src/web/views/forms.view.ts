import { html, type Html } from '../html';
import type { Translate } from '../i18n/translator';
import { fieldError, type FieldError } from './layout.view';

/** GOV.UK-style form controls: label, hint, error message linked by aria-describedby. */
export interface ControlModel {
  t: Translate;
  id: string;
  name?: string;
  label: string;
  hint?: string;
  value: string;
  errors: readonly FieldError[];
}

function describedBy(m: ControlModel, invalid: boolean): Html {
  const ids = [m.hint ? `${m.id}-hint` : '', invalid ? `${m.id}-error` : ''].filter(Boolean).join(' ');
  return ids ? html` aria-describedby="${ids}"` : html``;
}

export function textInput(m: ControlModel & { type?: string; inputmode?: string; short?: boolean; autocomplete?: string }): Html {
  const invalid = m.errors.some((e) => e.field === m.id);
  return html`<div class="form-group${invalid ? ' form-group--error' : ''}">
  <label class="label" for="${m.id}">${m.label}</label>
  ${m.hint ? html`<span class="hint" id="${m.id}-hint">${m.hint}</span>` : ''}
  ${fieldError(m.t, m.errors, m.id)}
  <input class="input${m.short ? ' input--short' : ''}" id="${m.id}" name="${m.name ?? m.id}" type="${m.type ?? 'text'}" value="${m.value}"${m.inputmode ? html` inputmode="${m.inputmode}"` : ''}${m.autocomplete ? html` autocomplete="${m.autocomplete}"` : ''}${describedBy(m, invalid)}>
</div>`;
}

export function textArea(m: ControlModel): Html {
  const invalid = m.errors.some((e) => e.field === m.id);
  return html`<div class="form-group${invalid ? ' form-group--error' : ''}">
  <label class="label" for="${m.id}">${m.label}</label>
  ${m.hint ? html`<span class="hint" id="${m.id}-hint">${m.hint}</span>` : ''}
  ${fieldError(m.t, m.errors, m.id)}
  <textarea class="textarea" id="${m.id}" name="${m.name ?? m.id}"${describedBy(m, invalid)}>${m.value}</textarea>
</div>`;
}

export function select(m: ControlModel & { options: ReadonlyArray<{ value: string; text: string }> }): Html {
  const invalid = m.errors.some((e) => e.field === m.id);
  return html`<div class="form-group${invalid ? ' form-group--error' : ''}">
  <label class="label" for="${m.id}">${m.label}</label>
  ${m.hint ? html`<span class="hint" id="${m.id}-hint">${m.hint}</span>` : ''}
  ${fieldError(m.t, m.errors, m.id)}
  <select class="select" id="${m.id}" name="${m.name ?? m.id}"${describedBy(m, invalid)}>
    <option value="">${m.t('common.choose')}</option>
    ${m.options.map((o) => html`<option value="${o.value}"${o.value === m.value ? html` selected` : ''}>${o.text}</option>`)}
  </select>
</div>`;
}

export function checkbox(m: { id: string; name?: string; label: string; checked: boolean }): Html {
  return html`<div class="form-group checkbox"><input type="checkbox" id="${m.id}" name="${m.name ?? m.id}" value="yes"${m.checked ? html` checked` : ''}><label for="${m.id}">${m.label}</label></div>`;
}
