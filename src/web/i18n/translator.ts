import { vi, type Catalogue, type MessageKey } from './catalogue-vi';
import { en } from './catalogue-en';

export type Locale = 'vi' | 'en';
export const LOCALES: readonly Locale[] = ['vi', 'en'];
export const CATALOGUES: Record<Locale, Catalogue> = { vi, en };
export type { MessageKey };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const catalogue = CATALOGUES[locale];
  return (key, params) => {
    const text = catalogue[key];
    return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
  };
}

export function isLocale(value: unknown): value is Locale {
  return value === 'vi' || value === 'en';
}

const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const INTL: Record<Locale, string> = { vi: 'vi-VN', en: 'en-GB' };

/** "Thứ Ba, 17 tháng 2, 2026" (vi) or "Tuesday 17 February 2026" (en), in Vietnam time. */
export function formatDate(locale: Locale, at: Date): string {
  return DATE[locale].format(at);
}

export function formatDateTime(locale: Locale, at: Date): string {
  return DATE_TIME[locale].format(at);
}

// Built once per locale: constructing an Intl formatter costs ~100 times more than using one, and
// a list page formats a date per row.
const formatters = (options: Intl.DateTimeFormatOptions) => ({ vi: new Intl.DateTimeFormat(INTL.vi, options), en: new Intl.DateTimeFormat(INTL.en, options) });
const DATE = formatters({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: TIME_ZONE });
const DATE_TIME = formatters({ day: 'numeric', month: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: TIME_ZONE });

/** "1.234.567.890 ₫" in both languages: the currency is the dong either way. */
export function formatVnd(locale: Locale, amount: number): string {
  return new Intl.NumberFormat(INTL[locale] === 'vi-VN' ? 'vi-VN' : 'en-GB', { style: 'currency', currency: 'VND', maximumFractionDigits: 0 }).format(amount);
}

export function formatBytes(locale: Locale, bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${new Intl.NumberFormat(INTL[locale], { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value)} ${units[unit]}`;
}
