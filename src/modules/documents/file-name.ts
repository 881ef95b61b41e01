/**
 * File names of uploaded dossier files.
 *
 * Investors name their files in Vietnamese ("Báo cáo công nghệ.pdf"), so the stored name must stay
 * readable: we do not transliterate or slugify. We only remove what is dangerous or unportable:
 * paths, invisible/control characters (which can hide the real extension, e.g. the RTLO trick
 * "ảnh\u202Efdp.exe" displayed as "ảnhexe.pdf"), characters Windows refuses, Windows device names,
 * and anything beyond the 255-byte limit of common file systems (ext4, S3 tooling, ZIP exports).
 *
 * The stored name is never used as a storage key (keys are generated); it is shown in the UI and
 * sent back in Content-Disposition when the file is downloaded.
 */
import contentDisposition from 'content-disposition';

/** Longest name, in UTF-8 bytes, that ext4/XFS/APFS/NTFS-via-UTF-8 tooling all accept. */
export const MAX_FILE_NAME_BYTES = 255;

/** Used when nothing usable is left of the original name. */
const FALLBACK_STEM = 'file';

/**
 * Control characters that are really line breaks or tabs: turned into a space rather than deleted,
 * so "Báo\ncáo" becomes "Báo cáo" and not "Báocáo". U+0085 is NEL, the C1 "next line".
 */
const LINE_BREAKS_AND_TABS = /[\t\n\v\f\r\u0085]/g;

/**
 * Deleted outright:
 * - \p{Cc}: C0 controls U+0000–U+001F, DEL U+007F, C1 controls U+0080–U+009F;
 * - \p{Cf}: format characters, which includes every bidi control (U+061C ALM, U+200E LRM,
 *   U+200F RLM, U+202A–U+202E embeddings/overrides, U+2066–U+2069 isolates), the zero-width
 *   characters U+200B–U+200D, U+2060 WORD JOINER, U+FEFF BOM, U+00AD SOFT HYPHEN and tag
 *   characters. None is needed to write Vietnamese, and all of them can make the displayed name
 *   differ from the real one;
 * - \p{Cs}: lone UTF-16 surrogates (only possible from JavaScript callers, never from valid UTF-8),
 *   which cannot be encoded and would turn into U+FFFD somewhere downstream.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/gu;

/** Characters Windows does not allow in a file name (the path separators are handled earlier). */
const WINDOWS_INVALID = /[<>:"|?*]/g;

/**
 * Windows device names. They are reserved whatever the extension ("con.txt", "NUL .pdf") and
 * case; Windows also treats COM/LPT followed by superscript digits ¹²³ as devices.
 */
const WINDOWS_RESERVED = /^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$/iu;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const utf8 = new TextEncoder();

function utf8Length(s: string): number {
  return utf8.encode(s).length;
}

/**
 * The longest prefix of `s` that fits in `maxBytes` UTF-8 bytes. Cuts between grapheme clusters
 * (so "ệ" written as e + two combining marks is never split from its marks); only if the very first
 * cluster is itself too long (absurd stacks of combining marks) does it fall back to code points.
 * Never cuts inside a code point, so the result is always valid UTF-8.
 */
function truncateUtf8(s: string, maxBytes: number): string {
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(s)) {
    const n = utf8Length(segment);
    if (used + n > maxBytes) break;
    out += segment;
    used += n;
  }
  if (out !== '' || s === '') return out;
  for (const codePoint of s) {
    const n = utf8Length(codePoint);
    if (used + n > maxBytes) break;
    out += codePoint;
    used += n;
  }
  return out;
}

/**
 * Splits a name at its final dot. Only a non-empty, whitespace-free final segment counts as an
 * extension: "Báo cáo. Phần 2" has no extension, "x.pdf.exe" has "exe".
 */
function splitExtension(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return { stem: name, ext: '' };
  const ext = name.slice(dot + 1);
  if (ext === '' || /\s/u.test(ext)) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext };
}

function isWindowsReserved(name: string): boolean {
  // Windows looks at the part before the FIRST dot, ignoring trailing spaces: "CON .tar.gz".
  const device = name.split('.', 1)[0]!.trimEnd();
  return WINDOWS_RESERVED.test(device);
}

/** Windows silently drops trailing dots and spaces, so "x.pdf. " would be saved as "x.pdf". */
function trimTrailingDotsAndSpaces(s: string): string {
  return s.replace(/[. ]+$/u, '');
}

/**
 * Makes an uploaded file's name safe to store, display and send back, while keeping it readable.
 *
 * Steps (order matters):
 * 1. NFC-normalise (macOS sends decomposed Vietnamese; NFC makes equal names compare equal).
 * 2. Keep only the last path segment, splitting on both "/" and "\" (browsers on Windows and some
 *    clients send full paths).
 * 3. Line breaks/tabs → space; delete controls, format characters (bidi, zero-width) and lone
 *    surrogates; NFC again (removing a zero-width char can let a letter and its mark compose).
 * 4. Replace Windows-invalid characters <>:"|?* with "_"; collapse whitespace runs to one space.
 * 5. Drop trailing dots/spaces (Windows does it on save: we want the extension we check to be the
 *    one the user's OS will use) and leading dots/spaces of the stem (no hidden files, no ".."),
 *    so ".pdf" becomes "file.pdf".
 * 6. Prefix "_" to Windows device names ("CON.pdf" → "_CON.pdf").
 * 7. Limit to 255 UTF-8 bytes, truncating the stem and keeping the extension.
 *
 * `extension` is the lower-cased final extension of the returned name, without the dot, or "" if
 * it has none; "x.pdf.exe" gives "exe". The function is idempotent.
 */
export function sanitiseFileName(original: string): { name: string; extension: string } {
  const lastSegment = original.normalize('NFC').split(/[/\\]/).pop() ?? '';

  const cleaned = lastSegment
    .replace(LINE_BREAKS_AND_TABS, ' ')
    .replace(INVISIBLE, '')
    .normalize('NFC')
    .replace(WINDOWS_INVALID, '_')
    .replace(/\s+/gu, ' ');

  const { stem: rawStem, ext } = splitExtension(trimTrailingDotsAndSpaces(cleaned));
  const stem = rawStem.replace(/^[. ]+/u, '') || FALLBACK_STEM;
  let name = ext ? `${stem}.${ext}` : stem;

  if (isWindowsReserved(name)) name = `_${name}`;

  name = fitToByteLimit(name);
  return { name, extension: splitExtension(name).ext.toLowerCase() };
}

function fitToByteLimit(name: string): string {
  if (utf8Length(name) <= MAX_FILE_NAME_BYTES) return name;
  const { stem, ext } = splitExtension(name);
  const suffix = ext ? `.${ext}` : '';
  const suffixBytes = utf8Length(suffix);
  // Keep the extension only when it is a plausible one; a 200-byte "extension" is just text, and
  // keeping it would leave too little room for the stem. With at most half the budget for the
  // suffix, at least one code point of the stem always fits.
  if (suffix && suffixBytes <= MAX_FILE_NAME_BYTES / 2) {
    // The stem starts with neither a dot nor a space, so trimming cannot empty it.
    return trimTrailingDotsAndSpaces(truncateUtf8(stem, MAX_FILE_NAME_BYTES - suffixBytes)) + suffix;
  }
  return trimTrailingDotsAndSpaces(truncateUtf8(name, MAX_FILE_NAME_BYTES));
}

/**
 * ASCII rendering of a name for the plain `filename="…"` parameter, read by clients that ignore
 * `filename*` (RFC 6266 §4.3). Vietnamese degrades gracefully: strip the diacritics
 * ("Báo cáo công nghệ" → "Bao cao cong nghe"), map đ/Đ (a letter of its own, not a diacritic) to
 * d/D, and replace anything else non-ASCII with "_". (The content-disposition package's own
 * fallback keeps raw ISO-8859-1 bytes such as "á" and uses "?", which is invalid on Windows.)
 */
function asciiFallback(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^\x20-\x7e]/g, '_');
}

/**
 * Content-Disposition header value for downloading a stored file, per RFC 6266 with RFC 8187
 * (formerly 5987) encoding: `attachment; filename="Bao cao.pdf"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o.pdf`.
 *
 * The name is passed through {@link sanitiseFileName} first (idempotent for names that already
 * were), so even a name that never went through the upload path cannot inject CR/LF, quotes or a
 * path into the header. When the name is plain ASCII the two parameters would be identical, so
 * only `filename` is sent. The result is always printable ASCII.
 */
export function contentDispositionFor(
  name: string,
  disposition: 'attachment' | 'inline' = 'attachment',
): string {
  const safe = sanitiseFileName(name).name;
  return contentDisposition(safe, { type: disposition, fallback: asciiFallback(safe) });
}
