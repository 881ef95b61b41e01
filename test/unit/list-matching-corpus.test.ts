/**
 * Precision and recall of list matching on a corpus of 150+ technology names (test/fixtures):
 * recall 100% on the statutory wordings encoded in the rulebook, precision ≥ 95%, and ≥ 95% of
 * the negatives (near misses, removal / treatment / conversion projects) not flagged. The figures
 * are printed so that they can be reported.
 */
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../fixtures/technology-names.corpus';
import { RULEBOOK_2017 } from '../../src/modules/rulebook/rulebook-2017.seed';
import { RULEBOOK_2026 } from '../../src/modules/rulebook/rulebook-2026.seed';
import { listMatchingFigures } from '../../src/modules/screening/list-matching-figures';

describe.each([RULEBOOK_2017, RULEBOOK_2026])('list matching on the corpus, rulebook $version', (rb) => {
  const entries = [...rb.technologyLists.prohibited, ...rb.technologyLists.restricted];
  const f = listMatchingFigures(CORPUS, entries);

  it('has at least 150 names, positive and negative, Vietnamese and English, with and without diacritics', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(150);
    expect(f.positives).toBeGreaterThan(60);
    expect(f.negatives).toBeGreaterThan(60);
    expect(CORPUS.some((c) => /[ăâđêôơư]/i.test(c.text))).toBe(true);
    expect(CORPUS.some((c) => /^[\x20-\x7E]+$/.test(c.text) && /xi mang|dien phan/.test(c.text))).toBe(true);
  });

  it('reports its figures: recall 100% on statutory wordings, precision ≥ 95%, negatives ≥ 95% passed', () => {
    const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(
      `[${rb.version}] corpus ${f.cases} (positives ${f.positives}, negatives ${f.negatives}): precision ${pc(f.precision)}, recall ${pc(f.recall)}, negatives passed ${pc(f.negativesPassed)}; ` +
        Object.entries(f.byKind).map(([k, v]) => `${k} ${v.correct}/${v.cases}`).join(', ') +
        (f.mistakes.length ? `\n  mistakes: ${JSON.stringify(f.mistakes)}` : ''),
    );
    expect(f.byKind.statutory).toEqual({ cases: entries.length * 4, correct: entries.length * 4 });
    expect(f.precision).toBeGreaterThanOrEqual(0.95);
    expect(f.negativesPassed).toBeGreaterThanOrEqual(0.95);
    expect(f.recall).toBeGreaterThanOrEqual(0.9);
  });
});
