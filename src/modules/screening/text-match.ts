/**
 * Matching declared technology names and descriptions against the rulebook's technology lists.
 *
 * Investors write in English or Vietnamese, with or without diacritics, with hyphens or spaces,
 * singular or plural, and in any word order ("cement, vertical kiln"). A prohibited hit blocks
 * approval, so the matcher must also refuse trivial overlaps: "cement" is not "vertical-kiln
 * cement", and "rotary kiln cement (dry process)" is not "wet-process rotary-kiln cement".
 *
 * Three tiers, tried in order (first hit wins, so the reported `how` is the strongest one):
 *  - exact:     the whole text equals a name/alias after normalisation;
 *  - phrase:    the alias occurs as a contiguous run of words in one clause of the text
 *               (also when written joined or split: "chloralkali" / "chlor-alkali");
 *  - token_set: English aliases only — all significant words of the alias occur next to each
 *               other in any order in one clause (stop words such as "of", "for", "process" may
 *               sit between them). Vietnamese aliases are phrase-only: Vietnamese words are
 *               syllables that recombine ("lò đứng" vs "lò quay sử dụng"), so an order-free match
 *               would flag "xi măng lò quay sử dụng…" as vertical-kiln cement.
 * A hit directly preceded by a negation ("không sử dụng", "without", "no") or followed by "free"
 * ("asbestos-free") does not count.
 *
 * Pure functions: no I/O, no clock, no shared mutable state.
 */
import type { ListEntry } from '../rulebook/rulebook.schema';

export type MatchHow = 'exact' | 'phrase' | 'token_set';

export interface ListMatch {
  matched: boolean;
  /** The name or alias (as written in the rulebook) that matched. */
  alias?: string;
  how?: MatchHow;
}

/**
 * Canonical text: lower case, Vietnamese diacritics removed (đ → d), every run of punctuation,
 * hyphens and whitespace collapsed to one space. "Xi măng lò-đứng!" → "xi mang lo dung".
 */
export function normalise(text: string): string {
  const s = typeof text === 'string' ? text : String(text ?? '');
  return s
    .replace(/[đĐ\u00D0]/g, 'd') // đ has no Unicode decomposition; Ð is a common look-alike for Đ
    .normalize('NFKD') // also folds full-width and compatibility forms
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

// Stored in canonical (stemmed) form. Kept deliberately small: every word here is one the
// matcher may skip, and skipping "with" or "and" would let "rotary kiln cement with wet scrubber"
// pass for "wet-process rotary-kiln cement".
const STOP_WORDS = new Set([
  'the', 'a', 'an', 'of', 'for', 'by', 'in', 'on', 'to', 'from', 'via', 'using',
  'process', 'technology', 'method',
  // Connecting participles: "rotary kiln cement produced by the wet process".
  'produced', 'made', 'manufactured',
]);

// So "two-stroke" meets "2-stroke" and "Euro II" meets "Euro 2".
const NUMBER_WORDS: Record<string, string> = {
  one: '1', two: '2', three: '3', four: '4', five: '5', ii: '2', iii: '3', iv: '4',
};

/** One word in canonical form: number words as digits, sulph- → sulf-, simple English plurals. */
function canonicalToken(t: string): string {
  const n = NUMBER_WORDS[t];
  if (n !== undefined) return n;
  let w = t.startsWith('sulph') ? `sulf${t.slice(5)}` : t;
  // Vietnamese syllables never end in "s", so plural stripping cannot damage them.
  if (w.length >= 4 && /^[a-z]+$/.test(w)) {
    if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
    else if (/(sses|xes|ches|shes)$/.test(w)) w = w.slice(0, -2);
    else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  }
  return w;
}

/** Canonical words of a text (normalised, then number words / spelling / plurals unified). */
export function tokenize(text: string): string[] {
  const n = normalise(text);
  return n === '' ? [] : n.split(' ').map(canonicalToken);
}

/**
 * Clauses: a match never spans a sentence boundary, so a name ending in "…kiln." and a
 * description starting "Cement …" cannot combine. Commas and brackets do not split, because
 * "cement (vertical kiln)" and "cement, wet process, rotary kiln" are single names.
 */
function clauses(text: string): string[] {
  const s = typeof text === 'string' ? text : String(text ?? '');
  return s.split(/[;!?\n\r\u2022]+|\.(?=\s|$)/);
}

interface Candidate {
  raw: string;
  tokens: string[];
  compact: string;
  /** Distinct significant (non-stop) words; empty when the alias is not eligible for token_set. */
  sigSet: string[];
  vietnamese: boolean;
}

function isVietnamese(raw: string): boolean {
  return /[đĐ]/.test(raw) || /\p{M}/u.test(raw.normalize('NFD'));
}

function candidatesOf(entry: ListEntry): Candidate[] {
  const raws: string[] = [];
  const push = (v: unknown) => {
    if (typeof v === 'string' && !raws.includes(v)) raws.push(v);
  };
  push(entry?.name);
  push(entry?.nameVi);
  if (Array.isArray(entry?.aliases)) entry.aliases.forEach(push);

  const out: Candidate[] = [];
  for (const raw of raws) {
    const tokens = tokenize(raw);
    if (tokens.length === 0) continue; // an alias of pure punctuation would match everything
    const vietnamese = isVietnamese(raw);
    const sigSet = [...new Set(tokens.filter((t) => !STOP_WORDS.has(t)))];
    out.push({
      raw,
      tokens,
      compact: tokens.join(''),
      // One significant word is too weak for an order-free match ("cement").
      sigSet: !vietnamese && sigSet.length >= 2 ? sigSet : [],
      vietnamese,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Negation

const NEGATION_BEFORE: string[][] = [
  ['khong'], ['khong', 'su', 'dung'], ['khong', 'dung'], ['khong', 'co'], ['khong', 'chua'],
  ['khong', 'ap', 'dung'], ['thay', 'the'], ['thay', 'vi'], ['thay'],
  ['without'], ['no'], ['non'], ['not'], ['not', 'using'], ['not', 'use'], ['free', 'of'],
  ['instead', 'of'], ['replacing'], ['replace'],
];
/** Words allowed between a negation and the hit: "không sử dụng công nghệ xi măng lò đứng". */
const NEGATION_FILLERS = new Set(['the', 'a', 'an', 'any', 'cong', 'nghe', 'technology', 'process', 'cac', 'nhung']);

function endsWith(seq: string[], cue: string[]): boolean {
  if (cue.length > seq.length) return false;
  const off = seq.length - cue.length;
  return cue.every((t, i) => seq[off + i] === t);
}

function negated(tokens: string[], start: number, end: number): boolean {
  if (tokens[end] === 'free') return true; // "asbestos-free", "mercury-free"
  const before = tokens.slice(Math.max(0, start - 6), start);
  const trimmed = [...before];
  while (trimmed.length > 0 && NEGATION_FILLERS.has(trimmed[trimmed.length - 1] ?? '')) trimmed.pop();
  return NEGATION_BEFORE.some((cue) => endsWith(before, cue) || endsWith(trimmed, cue));
}

// ---------------------------------------------------------------------------------------------
// Tiers

function phraseIn(c: Candidate, tokens: string[]): boolean {
  const n = c.tokens.length;
  for (let i = 0; i + n <= tokens.length; i++) {
    let ok = true;
    for (let k = 0; k < n; k++) {
      if (tokens[i + k] !== c.tokens[k]) {
        ok = false;
        break;
      }
    }
    if (ok && !negated(tokens, i, i + n)) return true;
  }
  // Same letters, different word breaks: "chloralkali" / "chlor alkali", "twostroke" / "two stroke".
  if (c.compact.length >= 4) {
    for (let i = 0; i < tokens.length; i++) {
      let acc = '';
      for (let j = i; j < tokens.length && acc.length < c.compact.length; j++) {
        acc += tokens[j];
        if (acc === c.compact && !negated(tokens, i, j + 1)) return true;
        if (!c.compact.startsWith(acc)) break;
      }
    }
  }
  return false;
}

function tokenSetIn(c: Candidate, tokens: string[]): boolean {
  const k = c.sigSet.length;
  if (k < 2) return false;
  const want = new Set(c.sigSet);
  // Significant words of the clause with their positions, so stop words may sit in between.
  const sig: Array<{ t: string; pos: number }> = [];
  tokens.forEach((t, pos) => {
    if (!STOP_WORDS.has(t)) sig.push({ t, pos });
  });
  for (let i = 0; i + k <= sig.length; i++) {
    const window = sig.slice(i, i + k);
    const got = new Set(window.map((w) => w.t));
    if (got.size !== k || ![...got].every((t) => want.has(t))) continue;
    const start = window[0]?.pos ?? 0;
    const end = (window[k - 1]?.pos ?? 0) + 1;
    if (!negated(tokens, start, end)) return true;
  }
  return false;
}

/**
 * Does `text` name the technology of `entry` (its name, Vietnamese name or any alias)?
 * Never throws; odd input simply does not match.
 */
export function matchListEntry(text: string, entry: ListEntry): ListMatch {
  const whole = tokenize(text);
  if (whole.length === 0) return { matched: false };
  const candidates = candidatesOf(entry);
  if (candidates.length === 0) return { matched: false };

  const wholeKey = whole.join(' ');
  for (const c of candidates) {
    if (c.tokens.join(' ') === wholeKey) return { matched: true, alias: c.raw, how: 'exact' };
  }

  const parts = clauses(text)
    .map(tokenize)
    .filter((t) => t.length > 0);
  for (const c of candidates) {
    if (parts.some((p) => phraseIn(c, p))) return { matched: true, alias: c.raw, how: 'phrase' };
  }
  for (const c of candidates) {
    if (c.sigSet.length >= 2 && parts.some((p) => tokenSetIn(c, p))) {
      return { matched: true, alias: c.raw, how: 'token_set' };
    }
  }
  return { matched: false };
}
