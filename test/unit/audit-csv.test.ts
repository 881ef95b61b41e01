import { describe, expect, it } from 'vitest';
import { csvField } from '../../src/modules/audit/audit-query';

describe('CSV export fields', () => {
  it.each<[string | number | null, string]>([
    [null, ''],
    ['', '""'],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    [-3, '-3'],
    // Text that a spreadsheet would execute is shown, not run (CSV injection).
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ['+1+1', "'+1+1"],
    ['-key-001', "'-key-001"],
    ['@SUM(A1)', "'@SUM(A1)"],
  ])('%j → %s', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});
