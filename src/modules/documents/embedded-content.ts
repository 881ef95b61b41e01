/**
 * Files that are two things at once: a PDF with a ZIP or a program appended after its end, a
 * program embedded in a document body, an installer (OLE compound file) renamed `.doc`.
 *
 * All checks run on the stream as it passes, with O(1) memory (a file can be 1 GiB):
 * - executables: a rolling window looks for the headers of Windows (MZ … PE\0\0 at e_lfanew),
 *   ELF and Mach-O programs anywhere but at offset 0 (a file that *is* a program is refused by
 *   the type check). The headers are checked beyond their magic numbers so that random or
 *   compressed data does not match by chance.
 * - PDF: the offset of the last `%%EOF` is tracked through the whole file; at the end, more than
 *   {@link PDF_EOF_TOLERANCE} bytes after it (or no `%%EOF` at all) is refused, naming what was
 *   appended when it is recognisable (ZIP, program).
 * - OLE compound files: the header (first 512 bytes) gives the first directory sector's offset;
 *   its bytes are caught as they pass, and the root entry's class id must be a Word, Excel or
 *   PowerPoint document matching the file name (an MSI, MSG, … is refused).
 * What is compressed inside a document (Flate streams, deflated ZIP entries) is not visible here:
 * the virus scanner, which unpacks them, is the defence for that.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { UnprocessableError, UnsupportedMediaTypeError, type AppError } from '../../errors';

/** Bytes allowed after a PDF's final %%EOF (line endings, padding some writers add). */
export const PDF_EOF_TOLERANCE = 1024;
/** Bytes kept from one chunk to the next so a header split across chunks is still seen. */
const OVERLAP = 1024;

const ZIP_LOCAL = Buffer.from('PK\x03\x04', 'latin1');
const EOF_MARK = Buffer.from('%%EOF', 'latin1');
const EXE_MAGICS = [
  Buffer.from('MZ', 'latin1'),
  Buffer.from([0x7f, 0x45, 0x4c, 0x46]),
  ...[0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].map((m) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(m);
    return b;
  }),
];
const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

type OfficeKind = 'word' | 'excel' | 'powerpoint';
/** Root-entry class ids of legacy Office documents (lower case, as written in the registry). */
const OFFICE_CLSIDS: Record<string, OfficeKind> = {
  '00020906-0000-0000-c000-000000000046': 'word', // Word 97–2003 document
  '00020900-0000-0000-c000-000000000046': 'word', // Word 6.0/95 document
  '00020820-0000-0000-c000-000000000046': 'excel', // Excel 97–2003 workbook
  '00020810-0000-0000-c000-000000000046': 'excel', // Excel 5.0/95 workbook
  '64818d10-4f9b-11cf-86ea-00aa00b929e8': 'powerpoint', // PowerPoint 97–2003 presentation
  '64818d11-4f9b-11cf-86ea-00aa00b929e8': 'powerpoint', // PowerPoint 95
};
/** Class ids worth naming in a refusal. */
const KNOWN_CLSIDS: Record<string, string> = {
  '000c1084-0000-0000-c000-000000000046': 'a Windows Installer package (MSI)',
  '000c1086-0000-0000-c000-000000000046': 'a Windows Installer patch (MSP)',
  '000c1082-0000-0000-c000-000000000046': 'a Windows Installer transform (MST)',
  '0006f046-0000-0000-c000-000000000046': 'an Outlook message (MSG)',
};
/** Some writers leave the root class id empty: then the main stream's name tells the kind. */
const MAIN_STREAMS: Record<string, OfficeKind> = { WordDocument: 'word', Workbook: 'excel', Book: 'excel', 'PowerPoint Document': 'powerpoint' };
const KIND_BY_EXTENSION: Record<string, OfficeKind> = { doc: 'word', xls: 'excel', ppt: 'powerpoint' };
const KIND_NAME: Record<OfficeKind, string> = { word: 'a Word document', excel: 'an Excel workbook', powerpoint: 'a PowerPoint presentation' };

function clsidString(b: Buffer): string {
  const hex = (x: Buffer) => x.toString('hex');
  const le = (x: Buffer) => hex(Buffer.from(x).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`;
}

/** What kind of program header starts at `at` in `buf`, if any (`buf` must extend far enough). */
export function executableAt(buf: Buffer, at: number): string | undefined {
  const b0 = buf[at];
  if (b0 === 0x4d && buf[at + 1] === 0x5a && at + 0x40 <= buf.length) {
    const lfanew = buf.readUInt32LE(at + 0x3c);
    if (lfanew >= 0x40 && lfanew <= OVERLAP - 4 && at + lfanew + 4 <= buf.length && buf.readUInt32BE(at + lfanew) === 0x50450000) return 'a Windows program (PE)';
    return undefined;
  }
  if (b0 === 0x7f && buf[at + 1] === 0x45 && buf[at + 2] === 0x4c && buf[at + 3] === 0x46 && at + 20 <= buf.length) {
    const cls = buf[at + 4];
    const data = buf[at + 5];
    const version = buf[at + 6];
    const type = data === 1 ? buf.readUInt16LE(at + 16) : buf.readUInt16BE(at + 16);
    if ((cls === 1 || cls === 2) && (data === 1 || data === 2) && version === 1 && type >= 1 && type <= 4) return 'a Linux program (ELF)';
    return undefined;
  }
  if ((b0 === 0xfe || b0 === 0xce || b0 === 0xcf) && at + 16 <= buf.length) {
    const magic = buf.readUInt32BE(at);
    const little = magic === 0xcefaedfe || magic === 0xcffaedfe;
    if (!little && magic !== 0xfeedface && magic !== 0xfeedfacf) return undefined;
    const cpu = little ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 4);
    const fileType = little ? buf.readUInt32LE(at + 12) : buf.readUInt32BE(at + 12);
    const cpus = [7, 0x01000007, 12, 0x0100000c, 18, 0x01000012];
    if (cpus.includes(cpu) && fileType >= 1 && fileType <= 12) return 'a macOS program (Mach-O)';
  }
  return undefined;
}

function appendedKind(b: Buffer): string {
  const t = b.subarray(b.findIndex((x) => x > 0x20) >>> 0);
  if (t.subarray(0, 4).equals(ZIP_LOCAL)) return 'a ZIP archive';
  const exe = t.length >= 64 ? executableAt(t, 0) : undefined;
  if (exe) return exe;
  if (t[0] === 0x4d && t[1] === 0x5a) return 'a Windows program (MZ)';
  if (t.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return 'a Linux program (ELF)';
  if (t.subarray(0, 8).equals(CFB_MAGIC)) return 'an OLE compound file';
  return 'data';
}

export interface InspectorOptions {
  /** The file name's extension (lower case, no dot). */
  extension: string;
}

/**
 * Pass-through that refuses (fails the stream with an AppError) what it recognises as a second
 * thing inside the file. Executables and OLE class ids fail as soon as they are seen; the PDF
 * tail is judged at the end.
 */
export class EmbeddedContentInspector extends Transform {
  #offset = 0; // bytes seen before the current chunk
  #carry: Buffer = Buffer.alloc(0); // the last OVERLAP bytes of what came before
  #kind: 'pdf' | 'cfb' | 'other' | undefined;
  #head: Buffer[] = [];
  #headBytes = 0;
  // PDF
  #lastEofEnd = -1;
  #afterEof: Buffer = Buffer.alloc(0);
  // CFB
  #dirOffset = -1;
  #dirSize = 0;
  #dir: Buffer[] = [];
  #dirBytes = 0;
  #cfbDone = false;

  constructor(private readonly opts: InspectorOptions) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    const refusal = this.#inspect(chunk);
    if (refusal) return callback(refusal);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const exe = this.#scanExecutables(this.#carry, this.#offset - this.#carry.length, true);
    if (exe) return callback(exe);
    if (this.#kind === undefined) this.#decideKind(Buffer.concat(this.#head));
    if (this.#kind === 'pdf') {
      const total = this.#offset;
      if (this.#lastEofEnd < 0) {
        return callback(new UnprocessableError('This PDF has no end-of-file marker (%%EOF): it is truncated or not a PDF. Save or export it again and upload it.', 'PDF_EOF_MISSING'));
      }
      const trailing = total - this.#lastEofEnd;
      if (trailing > PDF_EOF_TOLERANCE) {
        const found = appendedKind(this.#afterEof);
        return callback(
          new UnprocessableError(
            `This PDF has ${trailing} bytes of ${found} appended after its end (%%EOF), so it is two files at once. Upload the PDF alone (print or export it again).`,
            'PDF_APPENDED_DATA',
            { found, appendedBytes: trailing },
          ),
        );
      }
    }
    if (this.#kind === 'cfb' && !this.#cfbDone) {
      return callback(new UnsupportedMediaTypeError('This OLE file is truncated: its directory is missing, so it is not a valid Word, Excel or PowerPoint file.', 'OLE_NOT_OFFICE'));
    }
    callback();
  }

  #decideKind(head: Buffer) {
    if (head.subarray(0, 5).toString('latin1') === '%PDF-') this.#kind = 'pdf';
    else if (head.subarray(0, 8).equals(CFB_MAGIC)) {
      this.#kind = 'cfb';
      const major = head.readUInt16LE(0x1a);
      const sectorSize = major === 4 ? 4096 : 512;
      const firstDirSector = head.readUInt32LE(0x30);
      this.#dirOffset = (firstDirSector + 1) * sectorSize;
      this.#dirSize = sectorSize;
    } else this.#kind = 'other';
  }

  #inspect(chunk: Buffer): AppError | undefined {
    const start = this.#offset;
    if (this.#kind === undefined) {
      this.#head.push(chunk);
      this.#headBytes += chunk.length;
      if (this.#headBytes >= 512) {
        this.#decideKind(Buffer.concat(this.#head));
        this.#head = [];
      }
    }
    // A window over the carried tail of earlier data and this chunk.
    const window = this.#carry.length ? Buffer.concat([this.#carry, chunk]) : chunk;
    const windowStart = start - this.#carry.length;

    const exe = this.#scanExecutables(window, windowStart, false);
    if (exe) return exe;

    if (this.#kind === 'pdf' || this.#kind === undefined) {
      // Last %%EOF; keep a few bytes after it to name what follows.
      let at = window.lastIndexOf(EOF_MARK);
      if (at >= 0 && windowStart + at + EOF_MARK.length > this.#lastEofEnd) {
        this.#lastEofEnd = windowStart + at + EOF_MARK.length;
        this.#afterEof = Buffer.from(window.subarray(at + EOF_MARK.length, at + EOF_MARK.length + 1024));
      } else if (this.#lastEofEnd >= 0 && this.#afterEof.length < 1024) {
        const from = Math.max(0, this.#lastEofEnd + this.#afterEof.length - windowStart);
        this.#afterEof = Buffer.concat([this.#afterEof, window.subarray(from, from + 1024 - this.#afterEof.length)]);
      }
    }

    if (this.#kind === 'cfb' && !this.#cfbDone) {
      const end = start + chunk.length;
      const want = this.#dirOffset + this.#dirBytes;
      if (want < end && want >= start) {
        const piece = chunk.subarray(want - start, Math.min(chunk.length, want - start + this.#dirSize - this.#dirBytes));
        this.#dir.push(Buffer.from(piece));
        this.#dirBytes += piece.length;
      }
      if (this.#dirBytes >= 128) {
        const refusal = this.#checkOle(Buffer.concat(this.#dir));
        if (refusal) return refusal;
        if (this.#dirBytes >= this.#dirSize) this.#cfbDone = true;
      }
    }

    this.#offset += chunk.length;
    this.#carry = Buffer.from(window.subarray(Math.max(0, window.length - OVERLAP)));
    return undefined;
  }

  /**
   * Executables, anywhere past offset 0. Positions whose header may not be complete yet (the
   * last OVERLAP bytes) are examined with the next chunk, or at the end (`final`).
   */
  #scanExecutables(window: Buffer, windowStart: number, final: boolean): AppError | undefined {
    const scanFrom = Math.max(0, this.#scannedUpTo - windowStart);
    const scanTo = final ? window.length : Math.max(0, window.length - OVERLAP);
    // Native indexOf per magic number (a byte loop in JS would be ~10x slower on 1 GiB).
    for (const magic of EXE_MAGICS) {
      for (let i = window.indexOf(magic, scanFrom); i >= 0 && i < scanTo; i = window.indexOf(magic, i + 1)) {
        if (windowStart + i === 0) continue;
        const found = executableAt(window, i);
        if (found) {
          return new UnprocessableError(`This file contains ${found} at byte ${windowStart + i}; documents with embedded programs are not accepted.`, 'EMBEDDED_EXECUTABLE', {
            found,
            offset: windowStart + i,
          });
        }
      }
    }
    this.#scannedUpTo = Math.max(this.#scannedUpTo, windowStart + scanTo);
    return undefined;
  }
  #scannedUpTo = 0;

  /** Judged once the root entry is in; re-judged (for the stream names) once the whole sector is. */
  #checkOle(dir: Buffer): AppError | undefined {
    const clsid = clsidString(dir.subarray(0x50, 0x60));
    const expected = KIND_BY_EXTENSION[this.opts.extension];
    let kind: OfficeKind | undefined = OFFICE_CLSIDS[clsid];
    if (!kind && clsid === '00000000-0000-0000-0000-000000000000') {
      if (dir.length < this.#dirSize) return undefined; // wait for the whole sector's stream names
      for (let e = 0; e + 128 <= dir.length; e += 128) {
        const nameLength = dir.readUInt16LE(e + 0x40);
        const name = dir.subarray(e, e + Math.max(0, Math.min(64, nameLength) - 2)).toString('utf16le');
        if (MAIN_STREAMS[name]) kind = MAIN_STREAMS[name];
      }
    }
    if (kind && (!expected || kind === expected)) {
      this.#cfbDone = true;
      return undefined;
    }
    const found = kind ? KIND_NAME[kind] : (KNOWN_CLSIDS[clsid] ?? `an OLE compound file of class {${clsid}}`);
    return new UnsupportedMediaTypeError(
      `This file is ${found}, not ${expected ? KIND_NAME[expected] : 'a Word, Excel or PowerPoint document'} as its name (.${this.opts.extension}) says. ` +
        (kind ? `Rename it with .${Object.entries(KIND_BY_EXTENSION).find(([, k]) => k === kind)![0]} and upload it again.` : 'Only Word, Excel and PowerPoint documents are accepted in this format.'),
      'OLE_NOT_OFFICE',
      { found, clsid },
    );
  }
}

export function createEmbeddedContentInspector(opts: InspectorOptions): EmbeddedContentInspector {
  return new EmbeddedContentInspector(opts);
}
