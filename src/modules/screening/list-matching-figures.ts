/**
 * Precision and recall of the list matcher on a corpus of declared names (used by the corpus test
 * and by `npm run lists:figures`). Pure.
 */
import type { ListEntry } from '../rulebook/rulebook.schema';
import { matchListEntry } from './text-match';

export interface CorpusCase {
  text: string;
  /** The entry id it must match, or null: it must match no entry. */
  expect: string | null;
  kind: string;
}

export interface Figures {
  cases: number;
  positives: number;
  negatives: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** TP / (TP + FP): of what was flagged, how much was right. */
  precision: number;
  /** TP / positives. */
  recall: number;
  /** Negatives not flagged / negatives. */
  negativesPassed: number;
  byKind: Record<string, { cases: number; correct: number }>;
  mistakes: Array<{ text: string; expect: string | null; got: string[] }>;
}

export function listMatchingFigures(corpus: readonly CorpusCase[], entries: readonly ListEntry[]): Figures {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let negOk = 0;
  const byKind: Figures['byKind'] = {};
  const mistakes: Figures['mistakes'] = [];
  for (const c of corpus) {
    const got = entries.filter((e) => matchListEntry(c.text, e).matched).map((e) => e.id);
    const k = (byKind[c.kind] ??= { cases: 0, correct: 0 });
    k.cases++;
    let correct: boolean;
    if (c.expect === null) {
      correct = got.length === 0;
      fp += got.length;
      if (correct) negOk++;
    } else {
      const hit = got.includes(c.expect);
      if (hit) tp++;
      else fn++;
      fp += got.filter((g) => g !== c.expect).length;
      correct = hit;
    }
    if (correct) k.correct++;
    else mistakes.push({ text: c.text, expect: c.expect, got });
  }
  const positives = corpus.filter((c) => c.expect !== null).length;
  const negatives = corpus.length - positives;
  return {
    cases: corpus.length,
    positives,
    negatives,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: positives === 0 ? 1 : tp / positives,
    negativesPassed: negatives === 0 ? 1 : negOk / negatives,
    byKind,
    mistakes,
  };
}
