/**
 * Which files a dossier may contain, and the check of a file's sniffed content against its name.
 *
 * The type an upload claims (multipart Content-Type, file name) is chosen by the client, so we
 * decide from the bytes: `sniff()` looks at the first {@link SNIFF_BYTES} bytes with the file-type
 * package (magic numbers), and `checkType()` accepts the file only if that content type is on the
 * allow-list AND the file name's extension belongs to it, so a downloaded file opens in the
 * application its name promises.
 *
 * What file-type 21 does with the formats we care about (verified in test/unit/media-types.test.ts):
 * - PDF, JPEG, PNG, WEBP, DWG, the OLE header: fixed magic numbers within the first 12 bytes
 *   (PNG: it walks chunks up to IDAT to tell PNG from APNG, and answers PNG if the buffer ends first).
 *   PDF must start with "%PDF" at byte 0 (readers tolerate leading junk; file-type does not).
 * - DWG: "AC" + a version 1000–1050, i.e. AC1009 (R11/12) … AC1032 (AutoCAD 2018+), is reported as
 *   image/vnd.dwg. DXF (text) cannot be sniffed and is not accepted.
 * - DOC/XLS/PPT: all OLE compound files (also .msg, .msi, …) are reported as application/x-cfb; the
 *   container's contents are not looked at. We accept x-cfb only under a .doc/.xls/.ppt name and
 *   record the Office type the extension declares. Whether the container really is a Word/Excel/
 *   PowerPoint document (its root class id) is checked on the stream by embedded-content.ts.
 * - DOCX/XLSX/PPTX: ZIP containers. file-type walks the ZIP's local headers in order until it has
 *   read `[Content_Types].xml` and reports the type of the main part (docx/xlsx/pptx, or
 *   docm/xlsm/pptm for macro-enabled ones, which we refuse). Microsoft Office writes that entry
 *   first (≈ 1–2 KB in), so a few KB suffice. Other writers (LibreOffice, openpyxl, …) may write it
 *   last, after the media; on a truncated head file-type then answers plain "zip" (on the whole
 *   file it is right). See {@link ooxmlTypeFromZipHead} for how we handle that.
 * - ODT/ODS: the OpenDocument spec requires an uncompressed `mimetype` entry first; found in the
 *   first ~100 bytes.
 * - TIFF: the header is 8 bytes, but file-type follows the offset of the first IFD (to spot camera
 *   RAW formats), and many writers (libtiff, scanners) put that IFD after the image data. Past the
 *   end of our head buffer file-type gives up and returns undefined; we then accept the TIFF header
 *   alone (see {@link headerOnlyType}).
 * - ZIP, plain text: not accepted. An archive can hide anything, and text has no magic number
 *   (file-type returns undefined for it).
 *
 * Why a head buffer and not file-type's stream API: `fileTypeStream()` only sniffs a first chunk
 * of `sampleSize` bytes with the same buffer detection (so the same truncation limits), and
 * `fileTypeFromStream()` consumes the stream it reads (a ZIP walk may read up to 16 MiB), which
 * would mean teeing the upload and deciding only after most of it has been stored.
 */
import { fileTypeFromBuffer } from 'file-type';

/**
 * How many leading bytes `sniff()` wants. file-type itself needs at most 4100 bytes for
 * magic-number formats (its `reasonableDetectionSizeInBytes`); the extra room is for ZIP-based
 * Office files, where the entry that identifies them may come after other entries. 64 KiB is
 * also small enough to hold in memory per upload while the rest streams on.
 */
export const SNIFF_BYTES = 64 * 1024;

/** What `sniff()` found: a MIME type and file-type's usual extension for it. */
export interface SniffResult {
  mime: string;
  ext: string;
}

export interface AllowedType {
  /** Media type we record for the file and serve it with. */
  readonly mediaType: string;
  /** File-name extensions (lower case, no dot) that may carry this content; the first is the usual one. */
  readonly extensions: readonly string[];
  /** Human description, used in messages. */
  readonly description: string;
  /** MIME types `sniff()` reports for such content (file-type's names, which can differ from `mediaType`). */
  readonly sniffedAs: readonly string[];
}

const OOXML_WORD = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const OOXML_EXCEL = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const OOXML_POWERPOINT = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
/** What file-type reports for any OLE2 compound file (legacy Office, but also Outlook .msg, .msi). */
const CFB = 'application/x-cfb';

/**
 * The allow-list for dossier files. Deliberately absent: ZIP/RAR/7z (an archive can hide any
 * content from the checks), plain text/CSV/XML (cannot be identified from the bytes), HTML/SVG
 * (script), executables, and macro-enabled Office files (docm/xlsm/pptm).
 */
export const ALLOWED_TYPES: readonly AllowedType[] = Object.freeze([
  { mediaType: 'application/pdf', extensions: ['pdf'], description: 'PDF document', sniffedAs: ['application/pdf'] },
  { mediaType: OOXML_WORD, extensions: ['docx'], description: 'Word document (DOCX)', sniffedAs: [OOXML_WORD] },
  { mediaType: OOXML_EXCEL, extensions: ['xlsx'], description: 'Excel workbook (XLSX)', sniffedAs: [OOXML_EXCEL] },
  {
    mediaType: OOXML_POWERPOINT,
    extensions: ['pptx'],
    description: 'PowerPoint presentation (PPTX)',
    sniffedAs: [OOXML_POWERPOINT],
  },
  // The three legacy formats share one container (CFB): the extension decides which one is recorded.
  { mediaType: 'application/msword', extensions: ['doc'], description: 'Word 97–2003 document (DOC)', sniffedAs: [CFB] },
  { mediaType: 'application/vnd.ms-excel', extensions: ['xls'], description: 'Excel 97–2003 workbook (XLS)', sniffedAs: [CFB] },
  {
    mediaType: 'application/vnd.ms-powerpoint',
    extensions: ['ppt'],
    description: 'PowerPoint 97–2003 presentation (PPT)',
    sniffedAs: [CFB],
  },
  {
    mediaType: 'application/vnd.oasis.opendocument.text',
    extensions: ['odt'],
    description: 'OpenDocument text (ODT)',
    sniffedAs: ['application/vnd.oasis.opendocument.text'],
  },
  {
    mediaType: 'application/vnd.oasis.opendocument.spreadsheet',
    extensions: ['ods'],
    description: 'OpenDocument spreadsheet (ODS)',
    sniffedAs: ['application/vnd.oasis.opendocument.spreadsheet'],
  },
  // An animated PNG is still a valid PNG (viewers show the first frame), so APNG is accepted as PNG.
  { mediaType: 'image/png', extensions: ['png'], description: 'PNG image', sniffedAs: ['image/png', 'image/apng'] },
  { mediaType: 'image/jpeg', extensions: ['jpg', 'jpeg'], description: 'JPEG image', sniffedAs: ['image/jpeg'] },
  { mediaType: 'image/tiff', extensions: ['tif', 'tiff'], description: 'TIFF image', sniffedAs: ['image/tiff'] },
  { mediaType: 'image/webp', extensions: ['webp'], description: 'WebP image', sniffedAs: ['image/webp'] },
  { mediaType: 'image/vnd.dwg', extensions: ['dwg'], description: 'AutoCAD drawing (DWG)', sniffedAs: ['image/vnd.dwg'] },
].map((t) => Object.freeze({ ...t, extensions: Object.freeze(t.extensions), sniffedAs: Object.freeze(t.sniffedAs) })));

/**
 * Identifies a file from its first bytes (pass the first {@link SNIFF_BYTES}, or the whole file if
 * shorter). Returns undefined when the content is not recognised, e.g. plain text.
 *
 * On top of file-type, two fallbacks cover files whose identifying data lies beyond the head:
 * ZIP files that look like Office Open XML packages, and TIFF files recognised by header only.
 */
export async function sniff(head: Uint8Array): Promise<SniffResult | undefined> {
  let detected: SniffResult | undefined;
  try {
    const result = await fileTypeFromBuffer(head);
    detected = result && { mime: result.mime, ext: result.ext };
  } catch {
    // file-type already maps truncation and its own safety limits to "undefined"; anything it
    // still throws is malformed input. Refusing the file as unrecognised is the safe answer.
    detected = undefined;
  }
  if (detected?.mime === 'application/zip') return ooxmlTypeFromZipHead(head) ?? detected;
  return detected ?? headerOnlyType(head);
}

type Refusal = { ok: false; code: 'UNSUPPORTED_MEDIA_TYPE' | 'EXTENSION_MISMATCH'; message: string };
export type TypeCheck = { ok: true; mediaType: string } | Refusal;

/**
 * Decides whether a file with sniffed content `sniffed` and file-name extension `extension` (as
 * returned by `sanitiseFileName`; case and a leading dot are tolerated) is accepted.
 *
 * - content unknown or not on the allow-list → UNSUPPORTED_MEDIA_TYPE;
 * - allowed content under an extension that does not belong to it (a PDF named report.docx, a PNG
 *   named scan.jpg, no extension at all) → EXTENSION_MISMATCH. Aliases are equal: jpg = jpeg,
 *   tif = tiff.
 * On success, `mediaType` is the type to record (for legacy Office: the one the extension declares).
 */
export function checkType(sniffed: SniffResult | undefined, extension: string): TypeCheck {
  const ext = extension.trim().replace(/^\./, '').toLowerCase();
  const named = ext ? `".${ext}"` : 'no extension';

  if (!sniffed) {
    return {
      ok: false,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message:
        `The content of this file is not in a recognised format (its name has ${named}). ` +
        `Accepted formats: ${acceptedFormats()}.`,
    };
  }

  const mime = sniffed.mime.toLowerCase();
  const candidates = ALLOWED_TYPES.filter((t) => t.sniffedAs.includes(mime));
  if (candidates.length === 0) {
    return {
      ok: false,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message:
        `This file is ${describeUnsupported(sniffed)}, which is not accepted in a dossier ` +
        `(its name has ${named}). Accepted formats: ${acceptedFormats()}.`,
    };
  }

  const match = candidates.find((t) => t.extensions.includes(ext));
  if (match) return { ok: true, mediaType: match.mediaType };

  const expected = candidates.flatMap((t) => t.extensions.map((e) => `.${e}`));
  return {
    ok: false,
    code: 'EXTENSION_MISMATCH',
    message:
      `This file is ${joinOr(candidates.map((t) => withArticle(t.description)))}, but its name has ${named}. ` +
      `Rename it with ${joinOr(expected)} and upload it again.`,
  };
}

// ---------------------------------------------------------------------------------------------
// Fallbacks for what file-type cannot decide from a head buffer.

const LOCAL_FILE_HEADER = [0x50, 0x4b, 0x03, 0x04] as const; // "PK\x03\x04"

interface ZipEntrySeen {
  name: string;
  /** Whether the entry's data lies wholly inside the head. */
  complete: boolean;
}

/**
 * The ZIP entries whose local headers lie inside `head`, in file order. Walks headers like a
 * streaming unzipper: after each header, skip the compressed data when its size is known, or (for
 * entries written with a data descriptor, whose sizes come after the data) search for the next
 * local header signature. Stops at the central directory or at the end of the head.
 */
function zipEntriesInHead(head: Uint8Array): ZipEntrySeen[] {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const decoder = new TextDecoder();
  const entries: ZipEntrySeen[] = [];
  let offset = 0;
  while (offset + 30 <= head.length && LOCAL_FILE_HEADER.every((b, i) => head[offset + i] === b)) {
    const flags = view.getUint16(offset + 6, true);
    const compressedSize = view.getUint32(offset + 18, true);
    const nameLength = view.getUint16(offset + 26, true);
    const extraLength = view.getUint16(offset + 28, true);
    const nameEnd = offset + 30 + nameLength;
    if (nameEnd > head.length) break;
    const name = decoder.decode(head.subarray(offset + 30, nameEnd));
    const dataStart = nameEnd + extraLength;
    if (flags & 0x08) {
      const next = indexOfBytes(head, LOCAL_FILE_HEADER, dataStart);
      entries.push({ name, complete: next >= 0 });
      if (next < 0) break;
      offset = next;
    } else {
      const dataEnd = dataStart + compressedSize;
      entries.push({ name, complete: dataEnd <= head.length });
      offset = dataEnd;
    }
  }
  return entries;
}

function indexOfBytes(haystack: Uint8Array, needle: readonly number[], from: number): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const OOXML_KINDS = [
  {
    dir: 'word/',
    plain: { mime: OOXML_WORD, ext: 'docx' },
    macro: { mime: 'application/vnd.ms-word.document.macroenabled.12', ext: 'docm' },
  },
  {
    dir: 'xl/',
    plain: { mime: OOXML_EXCEL, ext: 'xlsx' },
    macro: { mime: 'application/vnd.ms-excel.sheet.macroenabled.12', ext: 'xlsm' },
  },
  {
    dir: 'ppt/',
    plain: { mime: OOXML_POWERPOINT, ext: 'pptx' },
    macro: { mime: 'application/vnd.ms-powerpoint.presentation.macroenabled.12', ext: 'pptm' },
  },
] as const;

/**
 * For a head that file-type called a plain ZIP: is it an Office Open XML package whose
 * `[Content_Types].xml` lies beyond the head (LibreOffice, openpyxl … write it last)?
 *
 * If `[Content_Types].xml` is wholly inside the head, file-type has read it and its "zip" stands.
 * Otherwise we require an OPC package marker among the entries seen (`[Content_Types].xml`,
 * `_rels/…` or `docProps/…`) and exactly one of the main-part folders word/, xl/, ppt/; a
 * `vbaProject.bin` makes it the macro-enabled variant (refused by the allow-list).
 *
 * Limitation, by design of streaming: only the entries in the head are seen, so this is the same
 * directory-name heuristic file-type itself falls back to. It does not make OOXML less safe than it
 * is: a genuine .docx can carry arbitrary extra entries anyway, which is why uploaded files should
 * still be scanned. A package whose first 64 KiB holds none of those folders (e.g. a huge image
 * stored first) is refused as a ZIP.
 */
function ooxmlTypeFromZipHead(head: Uint8Array): SniffResult | undefined {
  const entries = zipEntriesInHead(head);
  if (entries.some((e) => e.name === '[Content_Types].xml' && e.complete)) return undefined;
  const isOpcPackage = entries.some(
    (e) => e.name === '[Content_Types].xml' || e.name.startsWith('_rels/') || e.name.startsWith('docProps/'),
  );
  if (!isOpcPackage) return undefined;
  const kinds = OOXML_KINDS.filter((k) => entries.some((e) => e.name.startsWith(k.dir)));
  if (kinds.length !== 1) return undefined;
  const hasMacros = entries.some((e) => /(?:^|\/)vbaProject\.bin$/i.test(e.name));
  const kind = kinds[0]!;
  return { ...(hasMacros ? kind.macro : kind.plain) };
}

/**
 * A classic TIFF recognised by its 8-byte header alone, for when file-type, following the offset
 * of the first IFD past the end of a truncated head, gave up. (Camera RAW formats are TIFF-based
 * and pass here as TIFF, which is harmless.) Other allowed formats need no such help: file-type
 * decides them within the head, or, for PNG, stops its chunk walk at the end of the buffer and
 * still answers PNG.
 */
function headerOnlyType(head: Uint8Array): SniffResult | undefined {
  const startsWith = (bytes: readonly number[]) => bytes.every((b, i) => head[i] === b);
  if (startsWith([0x49, 0x49, 0x2a, 0x00]) || startsWith([0x4d, 0x4d, 0x00, 0x2a])) {
    return { mime: 'image/tiff', ext: 'tif' };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Messages

function acceptedFormats(): string {
  const exts = ALLOWED_TYPES.flatMap((t) => t.extensions).map((e) => e.toUpperCase());
  return exts.join(', ');
}

/** "a ZIP archive (application/zip)" for common refusals, otherwise the MIME type and extension. */
function describeUnsupported(s: SniffResult): string {
  const known: Record<string, string> = {
    'application/zip': 'a ZIP archive',
    'application/x-msdownload': 'a Windows program',
    'application/vnd.ms-word.document.macroenabled.12': 'a macro-enabled Word document (DOCM)',
    'application/vnd.ms-excel.sheet.macroenabled.12': 'a macro-enabled Excel workbook (XLSM)',
    'application/vnd.ms-powerpoint.presentation.macroenabled.12': 'a macro-enabled PowerPoint presentation (PPTM)',
  };
  const mime = s.mime.toLowerCase();
  return `${known[mime] ?? withArticle(`${s.ext.toUpperCase()} file`)} (${mime})`;
}

function withArticle(phrase: string): string {
  return /^[aeiou]/i.test(phrase) ? `an ${phrase}` : `a ${phrase}`;
}

function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
