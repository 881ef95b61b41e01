/**
 * Matching declared technology names and descriptions against the rulebook's lists.
 *
 * The lists are written as the decree has them ("Công nghệ sản xuất động cơ 2 kỳ dùng cho xe cơ
 * giới"); investors write "xe máy hai kỳ", "dong co 2 ky cho xe co gioi", "two-stroke motorcycle
 * engines" or "ôtô"/"ô tô". So both sides are brought to one canonical form:
 *  - lower case, diacritics removed (đ → d), punctuation and hyphens → spaces;
 *  - number words → digits ("hai"/"two"/"II" → 2), "ô tô" → "oto", sulph → sulf, English plurals;
 *  - connecting words ("công nghệ", "sản xuất", "bằng", "dùng cho", "sử dụng", "of", "for"…) may
 *    sit between the words of an entry, in the entry's order.
 * Tiers, first hit wins: exact (whole text) → in order with connecting words between → joined or
 * split spelling ("chloralkali") → for English aliases only, the same words in another order.
 * Vietnamese stays in order: its syllables recombine ("lò đứng" vs "lò quay sử dụng…").
 *
 * A hit does not count when the text negates it ("không sử dụng", "without", "-free") or when the
 * project removes, treats, dismantles, replaces, converts or recovers the listed thing ("tháo dỡ
 * tấm lợp amiăng", "mercury recovery from spent lamps", "converting a vertical kiln to a dry
 * rotary kiln"): such projects end a listed technology, they do not use it.
 *
 * Pure functions: no I/O, no clock, no shared mutable state.
 */
import type { ListEntry } from '../rulebook/rulebook.schema';

export type MatchHow = 'exact' | 'phrase' | 'token_set';

export interface ListMatch {
  matched: boolean;
  /** The wording, name or alias (as written in the rulebook) that matched. */
  alias?: string;
  how?: MatchHow;
  /** The words of the declared text that matched, as the investor wrote them. */
  words?: string;
}

/** One word in canonical form: lower case, no diacritics, no punctuation. */
function normaliseWord(w: string): string {
  return w
    .replace(/[đĐ\u00D0]/g, 'd') // đ has no Unicode decomposition; Ð is a common look-alike for Đ
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

/** Canonical text: "Xi măng lò-đứng!" → "xi mang lo dung". */
export function normalise(text: string): string {
  const s = typeof text === 'string' ? text : String(text ?? '');
  return s
    .split(/[^\p{L}\p{N}]+/u)
    .map(normaliseWord)
    .filter((w) => w !== '')
    .join(' ');
}

// So "two-stroke", "hai kỳ" and "2 kỳ" meet, and "Euro II" meets "Euro 2". Vietnamese "bốn"/"năm"
// are left out: "bồn" (tank) and "năm" (year) normalise to the same letters.
const NUMBER_WORDS: Record<string, string> = {
  one: '1', two: '2', three: '3', four: '4', five: '5', ii: '2', iii: '3', iv: '4', mot: '1', hai: '2', ba: '3',
};

/** Two syllables written as one word or as two: "ôtô" / "ô tô". */
const MERGES: Array<[string, string, string]> = [['o', 'to', 'oto']];

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

interface Tokens {
  tokens: string[];
  /** The investor's word(s) behind each token. */
  words: string[];
}

function tokensOf(text: string): Tokens {
  const s = typeof text === 'string' ? text : String(text ?? '');
  const tokens: string[] = [];
  const words: string[] = [];
  for (const raw of s.split(/[^\p{L}\p{N}]+/u)) {
    const n = normaliseWord(raw);
    if (n === '') continue;
    // Digits glued to letters ("2kỳ", "euro2") are two words.
    for (const part of n.match(/[a-z]+|[0-9]+/g) ?? []) {
      tokens.push(canonicalToken(part));
      words.push(raw);
    }
  }
  for (let i = 0; i + 1 < tokens.length; i++) {
    for (const [a, b, joined] of MERGES) {
      if (tokens[i] === a && tokens[i + 1] === b) {
        tokens.splice(i, 2, joined);
        words.splice(i, 2, `${words[i]} ${words[i + 1]}`);
      }
    }
  }
  return { tokens, words };
}

/** Canonical words of a text. */
export function tokenize(text: string): string[] {
  return tokensOf(text).tokens;
}

/**
 * Clauses: a match never spans a sentence boundary. Commas and brackets do not split, because
 * "cement (vertical kiln)" and "cement, wet process, rotary kiln" are single names.
 */
function clauses(text: string): string[] {
  const s = typeof text === 'string' ? text : String(text ?? '');
  return s.split(/[;!?\n\r\u2022]+|\.(?=\s|$)/);
}

// Connecting words that may sit between the words of an entry (canonical form). Kept small: every
// word here is one the matcher may skip. "with" is not one ("rotary kiln cement with wet scrubber"
// is not "wet-process rotary-kiln cement"); neither is "dung" alone, which is also "đứng" (vertical).
const CONNECTORS: string[][] = [
  ['cong', 'nghe'], ['san', 'xuat'], ['su', 'dung'], ['dung', 'cho'], ['bang'], ['theo'], ['phuong', 'phap'], ['cho'], ['cua'],
  ['loai'], ['kieu'], ['trong'], ['va'], ['co'], ['cac'], ['nhung'], ['tieu', 'chuan'], ['muc'], ['khi', 'thai'],
  ['the'], ['a'], ['an'], ['of'], ['for'], ['by'], ['in'], ['on'], ['to'], ['from'], ['via'], ['using'], ['use'], ['and'],
  ['process'], ['technology'], ['method'], ['produced'], ['made'], ['manufactured'], ['production'], ['manufacture'], ['manufacturing'],
];

/** Length of the connector starting at `i`, or 0. */
function connectorAt(tokens: string[], i: number): number {
  for (const c of CONNECTORS) if (c.every((t, k) => tokens[i + k] === t)) return c.length;
  return 0;
}

/** The content words of an alias: connectors removed, unless that leaves fewer than two words. */
function contentOf(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    const n = connectorAt(tokens, i);
    if (n > 0) i += n;
    else out.push(tokens[i++]!);
  }
  return out.length >= 2 ? out : tokens;
}

// Order-free matching (English only) ignores these.
const STOP_WORDS = new Set(['the', 'a', 'an', 'of', 'for', 'by', 'in', 'on', 'to', 'from', 'via', 'using', 'process', 'technology', 'method', 'produced', 'made', 'manufactured', 'production']);

interface Candidate {
  raw: string;
  tokens: string[];
  content: string[];
  compact: string;
  sigSet: string[];
}

function isVietnamese(raw: string): boolean {
  return /[đĐ]/.test(raw) || /\p{M}/u.test(raw.normalize('NFD'));
}

function candidatesOf(entry: ListEntry): Candidate[] {
  const raws: string[] = [];
  const push = (v: unknown) => {
    if (typeof v === 'string' && !raws.includes(v)) raws.push(v);
  };
  push(entry?.wording);
  push(entry?.name);
  if (Array.isArray(entry?.aliases)) entry.aliases.forEach(push);
  const out: Candidate[] = [];
  for (const raw of raws) {
    const tokens = tokenize(raw);
    if (tokens.length === 0) continue; // an alias of pure punctuation would match everything
    const sigSet = [...new Set(tokens.filter((t) => !STOP_WORDS.has(t)))];
    out.push({ raw, tokens, content: contentOf(tokens), compact: tokens.join(''), sigSet: !isVietnamese(raw) && sigSet.length >= 2 ? sigSet : [] });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Negation and "ending the technology"

const NEGATION_BEFORE: string[][] = [
  ['khong'], ['khong', 'su', 'dung'], ['khong', 'dung'], ['khong', 'co'], ['khong', 'chua'], ['khong', 'ap', 'dung'], ['thay', 'vi'],
  ['without'], ['no'], ['non'], ['not'], ['not', 'using'], ['not', 'use'], ['free', 'of'], ['instead', 'of'],
];
const NEGATION_FILLERS = new Set(['the', 'a', 'an', 'any', 'cong', 'nghe', 'technology', 'process', 'cac', 'nhung']);

/** Words of a project that ends a listed technology, anywhere shortly before the hit. */
const ENDING_BEFORE: string[][] = [
  ['remove'], ['removal'], ['removing'], ['removed'], ['dismantle'], ['dismantling'], ['dismantled'], ['demolish'], ['demolition'], ['demolishing'],
  ['replace'], ['replacing'], ['replacement'], ['replaced'], ['convert'], ['converting'], ['conversion'], ['converted'],
  ['treat'], ['treating'], ['treatment'], ['recover'], ['recovering'], ['recovery'], ['recycle'], ['recycling'], ['dispose'], ['disposal'], ['disposing'],
  ['decommission'], ['decommissioning'], ['phase', 'out'], ['phasing', 'out'], ['eliminate'], ['eliminating'], ['elimination'], ['substitute'], ['substituting'],
  ['remediation'], ['remediate'], ['abatement'], ['destroy'], ['destruction'], ['upgrade', 'from'], ['upgrading'],
  ['loai', 'bo'], ['thao', 'do'], ['pha', 'do'], ['thay', 'the'], ['thay'], ['xu', 'ly'], ['thu', 'hoi'], ['tai', 'che'], ['chuyen', 'doi'], ['cai', 'tao'],
  ['tieu', 'huy'], ['xoa', 'bo'], ['dung', 'hoat', 'dong'], ['ngung'], ['chuyen', 'sang'],
];
const ENDING_AFTER = new Set(['free', 'removal', 'recovery', 'recycling', 'treatment', 'disposal', 'remediation', 'abatement', 'replacement', 'decommissioning', 'dismantling', 'conversion', 'phaseout']);
const ENDING_WINDOW = 8;

function endsWith(seq: string[], cue: string[]): boolean {
  if (cue.length > seq.length) return false;
  const off = seq.length - cue.length;
  return cue.every((t, i) => seq[off + i] === t);
}

function containsSeq(seq: string[], cue: string[]): boolean {
  for (let i = 0; i + cue.length <= seq.length; i++) if (cue.every((t, k) => seq[i + k] === t)) return true;
  return false;
}

/** Negated, or a project that removes / treats / replaces the listed thing. */
function doesNotCount(tokens: string[], start: number, end: number): boolean {
  if (ENDING_AFTER.has(tokens[end] ?? '')) return true;
  const before = tokens.slice(Math.max(0, start - 6), start);
  const trimmed = [...before];
  while (trimmed.length > 0 && NEGATION_FILLERS.has(trimmed[trimmed.length - 1] ?? '')) trimmed.pop();
  if (NEGATION_BEFORE.some((cue) => endsWith(before, cue) || endsWith(trimmed, cue))) return true;
  const window = tokens.slice(Math.max(0, start - ENDING_WINDOW), start);
  return ENDING_BEFORE.some((cue) => containsSeq(window, cue));
}

// ---------------------------------------------------------------------------------------------
// Tiers

/** The alias's content words in order, with only connectors (at most 4 tokens) between them. */
function inOrder(c: Candidate, tokens: string[]): [number, number] | undefined {
  const want = c.content;
  const strict = want === c.tokens; // fell back to all words: contiguous only
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== want[0]) continue;
    let j = i + 1;
    let ok = true;
    for (let k = 1; k < want.length && ok; k++) {
      let skipped = 0;
      while (!strict && tokens[j] !== want[k] && skipped < 4) {
        const n = connectorAt(tokens, j);
        if (n === 0) break;
        j += n;
        skipped += n;
      }
      if (tokens[j] === want[k]) j++;
      else ok = false;
    }
    if (ok && !doesNotCount(tokens, i, j)) return [i, j];
  }
  return undefined;
}

/** Same letters, different word breaks: "chloralkali" / "chlor alkali". */
function joined(c: Candidate, tokens: string[]): [number, number] | undefined {
  if (c.compact.length < 4) return undefined;
  for (let i = 0; i < tokens.length; i++) {
    let acc = '';
    for (let j = i; j < tokens.length && acc.length < c.compact.length; j++) {
      acc += tokens[j];
      if (acc === c.compact && !doesNotCount(tokens, i, j + 1)) return [i, j + 1];
      if (!c.compact.startsWith(acc)) break;
    }
  }
  return undefined;
}

function tokenSet(c: Candidate, tokens: string[]): [number, number] | undefined {
  const k = c.sigSet.length;
  if (k < 2) return undefined;
  const want = new Set(c.sigSet);
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
    if (!doesNotCount(tokens, start, end)) return [start, end];
  }
  return undefined;
}

const uniqueWords = (words: string[]) => words.filter((w, i) => i === 0 || w !== words[i - 1]).join(' ');

/**
 * Does `text` name the technology of `entry` (its wording, English name or any alias)?
 * Never throws; odd input simply does not match.
 */
export function matchListEntry(text: string, entry: ListEntry): ListMatch {
  const whole = tokensOf(text);
  if (whole.tokens.length === 0) return { matched: false };
  const candidates = candidatesOf(entry);
  if (candidates.length === 0) return { matched: false };

  const wholeKey = whole.tokens.join(' ');
  for (const c of candidates) {
    if (c.tokens.join(' ') === wholeKey) return { matched: true, alias: c.raw, how: 'exact', words: uniqueWords(whole.words) };
  }
  const parts = clauses(text)
    .map(tokensOf)
    .filter((t) => t.tokens.length > 0);
  const tiers: Array<[MatchHow, (c: Candidate, t: string[]) => [number, number] | undefined]> = [
    ['phrase', inOrder],
    ['phrase', joined],
    ['token_set', tokenSet],
  ];
  for (const [how, tier] of tiers) {
    for (const c of candidates) {
      for (const p of parts) {
        const hit = tier(c, p.tokens);
        if (hit) return { matched: true, alias: c.raw, how, words: uniqueWords(p.words.slice(hit[0], hit[1])) };
      }
    }
  }
  return { matched: false };
}
