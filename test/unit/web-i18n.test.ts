import { describe, expect, it } from 'vitest';
import { vi } from '../../src/web/i18n/catalogue-vi';
import { en } from '../../src/web/i18n/catalogue-en';
import { formatDate, formatVnd, translator } from '../../src/web/i18n/translator';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('web catalogues', () => {
  it('vi and en have exactly the same keys', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
  });
  it('every message has the same placeholders in both languages, and none is empty', () => {
    for (const key of Object.keys(vi) as Array<keyof typeof vi>) {
      expect(placeholders(en[key]), key).toEqual(placeholders(vi[key]));
      expect(vi[key].trim(), key).not.toBe('');
      expect(en[key].trim(), key).not.toBe('');
    }
  });
  it('fills placeholders', () => {
    expect(translator('vi')('home.welcome', { name: 'An' })).toBe('Xin chào, An');
    expect(translator('en')('home.welcome', { name: 'An' })).toBe('Hello, An');
  });
  it('formats dates and money the Vietnamese way, in Vietnam time', () => {
    expect(formatDate('vi', new Date('2026-02-17T03:00:00Z'))).toBe('Thứ Ba, 17 tháng 2, 2026');
    // 23:30 UTC on the 16th is already the 17th in Hanoi.
    expect(formatDate('vi', new Date('2026-02-16T23:30:00Z'))).toBe('Thứ Ba, 17 tháng 2, 2026');
    expect(formatVnd('vi', 1234567890).replace(/\s/g, ' ')).toBe('1.234.567.890 ₫');
  });
});
