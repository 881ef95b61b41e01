/**
 * The allow-list and the content/extension check, on real file bytes built here: PDF, PNG (zlib),
 * JPEG, TIFF, WebP, DWG and OLE headers, and Office/OpenDocument packages made with a small ZIP
 * writer. The `file-type findings` block pins down what file-type 21 itself does, which is what
 * the fallbacks in media-types.ts rely on; if an upgrade changes that, those tests say so first.
 */
import { deflateRawSync, deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fileTypeFromBuffer } from 'file-type';
import { ALLOWED_TYPES, SNIFF_BYTES, checkType, sniff } from '../../src/modules/documents/media-types';
import { sanitiseFileName } from '../../src/modules/documents/file-name';

// ---------------------------------------------------------------------------------------------
// Builders of real file bytes

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

interface ZipOptions {
  /** Deflate entries (method 8) or store them (method 0). Per-entry override below. */
  deflate?: boolean;
  /** Write sizes/CRC in a data descriptor after each entry, as streaming zip writers do. */
  dataDescriptor?: boolean;
}
type ZipEntry = [name: string, content: string | Uint8Array, options?: { store?: boolean }];

/** A minimal but valid ZIP (local headers, central directory, end record); no ZIP64. */
function zip(entries: ZipEntry[], { deflate = true, dataDescriptor = false }: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content, opts] of entries) {
    const data = Buffer.from(content);
    const nameBytes = Buffer.from(name, 'utf8');
    const method = deflate && !opts?.store ? 8 : 0;
    const compressed = method === 8 ? deflateRawSync(data) : data;
    const crc = crc32(data);
    const flags = 0x0800 | (dataDescriptor ? 0x0008 : 0); // UTF-8 names; sizes after data
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(dataDescriptor ? 0 : crc, 14);
    local.writeUInt32LE(dataDescriptor ? 0 : compressed.length, 18);
    local.writeUInt32LE(dataDescriptor ? 0 : data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const parts = [local, nameBytes, compressed];
    if (dataDescriptor) {
      const descriptor = Buffer.alloc(16);
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(compressed.length, 8);
      descriptor.writeUInt32LE(data.length, 12);
      parts.push(descriptor);
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    const local_ = Buffer.concat(parts);
    locals.push(local_);
    offset += local_.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const contentTypes = (partName: string, mainType: string) =>
  `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  `<Override PartName="${partName}" ContentType="${mainType}"/></Types>`;
const rootRels = (target: string) =>
  `${XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
  `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="${target}"/>` +
  '</Relationships>';
const wordDocument =
  `${XML}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
  '<w:body><w:p><w:r><w:t>Báo cáo thẩm định công nghệ</w:t></w:r></w:p></w:body></w:document>';
const workbook =
  `${XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
  'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
  '<sheets><sheet name="Dự toán" sheetId="1" r:id="rId1"/></sheets></workbook>';
const sheet =
  `${XML}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
  '<sheetData><row r="1"><c r="A1"><v>42</v></c></row></sheetData></worksheet>';
const presentation = `${XML}<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`;

const DOCX_MAIN = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml';
const XLSX_MAIN = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml';
const PPTX_MAIN = 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml';
const DOCM_MAIN = 'application/vnd.ms-word.document.macroEnabled.main+xml';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

/** Entry order as Microsoft Office writes it: [Content_Types].xml first. */
const docx = () =>
  zip([
    ['[Content_Types].xml', contentTypes('/word/document.xml', DOCX_MAIN)],
    ['_rels/.rels', rootRels('word/document.xml')],
    ['word/document.xml', wordDocument],
  ]);
const xlsx = () =>
  zip([
    ['[Content_Types].xml', contentTypes('/xl/workbook.xml', XLSX_MAIN)],
    ['_rels/.rels', rootRels('xl/workbook.xml')],
    ['xl/workbook.xml', workbook],
    ['xl/worksheets/sheet1.xml', sheet],
  ]);
const pptx = () =>
  zip([
    ['[Content_Types].xml', contentTypes('/ppt/presentation.xml', PPTX_MAIN)],
    ['_rels/.rels', rootRels('ppt/presentation.xml')],
    ['ppt/presentation.xml', presentation],
  ]);
/** 200 KB of incompressible "photo" so that later entries lie beyond the sniffed head. */
const bigMedia = () => randomBytes(200_000);
/** Entry order as LibreOffice writes it: [Content_Types].xml LAST, after the media. */
const docxLibreOfficeOrder = (opts?: ZipOptions, extra: ZipEntry[] = []) =>
  zip(
    [
      ['_rels/.rels', rootRels('word/document.xml')],
      ['docProps/core.xml', `${XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"/>`],
      ['word/document.xml', wordDocument],
      ...extra,
      ['word/media/image1.png', bigMedia()],
      ['[Content_Types].xml', contentTypes('/word/document.xml', DOCX_MAIN)],
    ],
    opts,
  );
/** Entry order as openpyxl writes it: docProps and sheets first, rels and content types last. */
const xlsxOpenpyxlOrder = () =>
  zip([
    ['docProps/app.xml', `${XML}<Properties/>`],
    ['xl/worksheets/sheet1.xml', sheet],
    ['xl/media/image1.png', bigMedia()],
    ['xl/workbook.xml', workbook],
    ['_rels/.rels', rootRels('xl/workbook.xml')],
    ['[Content_Types].xml', contentTypes('/xl/workbook.xml', XLSX_MAIN)],
  ]);
/** OpenDocument: an uncompressed "mimetype" entry must come first. */
const openDocument = (mimetype: string) =>
  zip([
    ['mimetype', mimetype, { store: true }],
    ['content.xml', `${XML}<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>`],
    ['META-INF/manifest.xml', `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>`],
  ]);

const pdf = () =>
  Buffer.from(
    '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n' +
      '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n' +
      '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n' +
      '3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n' +
      'trailer\n<< /Root 1 0 R /Size 4 >>\n%%EOF\n',
    'latin1',
  );

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A valid 1×1 RGB PNG, optionally with ancillary chunks before the image data. */
function png(before: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const pixels = deflateSync(Buffer.from([0, 0xc8, 0x10, 0x2e])); // filter 0, one red-ish pixel
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), ...before, pngChunk('IDAT', pixels), pngChunk('IEND', Buffer.alloc(0))]);
}

/** JPEG/JFIF header: SOI, APP0 "JFIF", a quantisation table start, …, EOI. */
const jpeg = () =>
  Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
    Buffer.from('JFIF\0', 'latin1'),
    Buffer.from([0x01, 0x01, 0x00, 0x00, 0x48, 0x00, 0x48, 0x00, 0x00]),
    Buffer.from([0xff, 0xdb, 0x00, 0x43, 0x00]),
    Buffer.alloc(64, 1),
    Buffer.from([0xff, 0xd9]),
  ]);

/** Baseline TIFF (little or big endian) with one IFD, placed before or after the pixel data. */
function tiff({ bigEndian = false, ifdAtEnd = false, pixelBytes = 1000 } = {}): Buffer {
  const u16 = (v: number) => { const b = Buffer.alloc(2); bigEndian ? b.writeUInt16BE(v) : b.writeUInt16LE(v); return b; };
  const u32 = (v: number) => { const b = Buffer.alloc(4); bigEndian ? b.writeUInt32BE(v) : b.writeUInt32LE(v); return b; };
  const entry = (tag: number, type: number, value: number) =>
    Buffer.concat([u16(tag), u16(type), u32(1), type === 3 ? Buffer.concat([u16(value), u16(0)]) : u32(value)]);
  const pixels = Buffer.alloc(pixelBytes, 0x80);
  const ifdOffset = ifdAtEnd ? 8 + pixels.length : 8;
  const ifdLength = 2 + 4 * 12 + 4;
  const pixelOffset = ifdAtEnd ? 8 : 8 + ifdLength;
  const ifd = Buffer.concat([
    u16(4),
    entry(256, 4, pixelBytes), // ImageWidth (one 8-bit grey row)
    entry(257, 3, 1), // ImageLength
    entry(273, 4, pixelOffset), // StripOffsets
    entry(279, 4, pixelBytes), // StripByteCounts
    u32(0), // no next IFD
  ]);
  const header = Buffer.concat([Buffer.from(bigEndian ? 'MM' : 'II', 'latin1'), u16(42), u32(ifdOffset)]);
  return Buffer.concat(ifdAtEnd ? [header, pixels, ifd] : [header, ifd, pixels]);
}

/** A 1×1 lossless WebP. */
const webp = () =>
  Buffer.concat([
    Buffer.from('RIFF', 'latin1'),
    Buffer.from([0x1a, 0, 0, 0]),
    Buffer.from('WEBPVP8L', 'latin1'),
    Buffer.from([0x0d, 0, 0, 0, 0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0]),
  ]);

/** The start of a DWG file: the version string, then the file header. */
const dwg = (version = 'AC1032') => Buffer.concat([Buffer.from(version, 'latin1'), Buffer.alloc(0x80)]);

/** An OLE2 compound file header (legacy .doc/.xls/.ppt container), version 3, 512-byte sectors. */
function cfb(): Buffer {
  const header = Buffer.alloc(1536);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header, 0);
  header.writeUInt16LE(0x003e, 0x18); // minor version
  header.writeUInt16LE(0x0003, 0x1a); // major version 3
  header.writeUInt16LE(0xfffe, 0x1c); // byte order
  header.writeUInt16LE(9, 0x1e); // sector shift: 512
  header.writeUInt16LE(6, 0x20); // mini sector shift: 64
  header.writeUInt32LE(1, 0x2c); // one FAT sector
  header.writeUInt32LE(1, 0x30); // first directory sector
  header.writeUInt32LE(0x1000, 0x38); // mini stream cutoff
  header.writeUInt32LE(0xfffffffe, 0x3c); // no mini FAT
  header.writeUInt32LE(0xfffffffe, 0x44); // no DIFAT sectors
  header.fill(0xff, 0x4c, 0x200); // DIFAT: unused
  header.writeUInt32LE(0, 0x4c); // FAT in sector 0
  return header;
}

/** A Windows program: "MZ" DOS header pointing to a "PE\0\0" header. */
function exe(): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}

const head = (file: Buffer) => file.subarray(0, SNIFF_BYTES);
const checkFile = async (file: Buffer, fileName: string) =>
  checkType(await sniff(head(file)), sanitiseFileName(fileName).extension);

// ---------------------------------------------------------------------------------------------

describe('ALLOWED_TYPES', () => {
  it('lists the dossier formats and nothing that cannot be checked', () => {
    const byExt = new Map(ALLOWED_TYPES.flatMap((t) => t.extensions.map((e) => [e, t.mediaType] as const)));
    expect(Object.fromEntries(byExt)).toEqual({
      pdf: 'application/pdf',
      docx: DOCX,
      xlsx: XLSX,
      pptx: PPTX,
      doc: 'application/msword',
      xls: 'application/vnd.ms-excel',
      ppt: 'application/vnd.ms-powerpoint',
      odt: 'application/vnd.oasis.opendocument.text',
      ods: 'application/vnd.oasis.opendocument.spreadsheet',
      png: 'image/png',
      jpg: 'image/jpeg',
      jpeg: 'image/jpeg',
      tif: 'image/tiff',
      tiff: 'image/tiff',
      webp: 'image/webp',
      dwg: 'image/vnd.dwg',
    });
    const mediaTypes = ALLOWED_TYPES.map((t) => t.mediaType);
    for (const refused of ['application/zip', 'text/plain', 'application/x-cfb', 'text/html', 'image/svg+xml']) {
      expect(mediaTypes).not.toContain(refused);
    }
  });

  it('has lower-case extensions, each belonging to one type, and a description for every type', () => {
    const all = ALLOWED_TYPES.flatMap((t) => t.extensions);
    expect(new Set(all).size).toBe(all.length);
    for (const t of ALLOWED_TYPES) {
      expect(t.extensions.every((e) => /^[a-z0-9]+$/.test(e))).toBe(true);
      expect(t.description.length).toBeGreaterThan(3);
      expect(t.sniffedAs.length).toBeGreaterThan(0);
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(ALLOWED_TYPES)).toBe(true);
    expect(Object.isFrozen(ALLOWED_TYPES[0])).toBe(true);
    expect(Object.isFrozen(ALLOWED_TYPES[0]!.extensions)).toBe(true);
  });
});

describe('file-type findings (what the fallbacks rely on)', () => {
  it('needs only its 4100-byte sample for magic-number formats', async () => {
    expect(SNIFF_BYTES).toBeGreaterThanOrEqual(4100);
    expect(await fileTypeFromBuffer(pdf())).toEqual({ ext: 'pdf', mime: 'application/pdf' });
    expect(await fileTypeFromBuffer(dwg('AC1015'))).toEqual({ ext: 'dwg', mime: 'image/vnd.dwg' });
    expect(await fileTypeFromBuffer(dwg('AC1032'))).toEqual({ ext: 'dwg', mime: 'image/vnd.dwg' });
    expect(await fileTypeFromBuffer(cfb())).toEqual({ ext: 'cfb', mime: 'application/x-cfb' });
  });

  it('reads [Content_Types].xml to name an OOXML file; Microsoft order needs only a few KB', async () => {
    const file = docx();
    expect(await fileTypeFromBuffer(file)).toEqual({ ext: 'docx', mime: DOCX });
    expect(await fileTypeFromBuffer(file.subarray(0, 4100))).toEqual({ ext: 'docx', mime: DOCX });
  });

  it('calls a truncated OOXML file "zip" when [Content_Types].xml comes after the head', async () => {
    const file = docxLibreOfficeOrder();
    expect(await fileTypeFromBuffer(file)).toEqual({ ext: 'docx', mime: DOCX }); // whole file: fine
    expect(await fileTypeFromBuffer(head(file))).toEqual({ ext: 'zip', mime: 'application/zip' });
  });

  it('gives up on a TIFF whose IFD lies beyond the head', async () => {
    const file = tiff({ ifdAtEnd: true, pixelBytes: 200_000 });
    expect(await fileTypeFromBuffer(file)).toEqual({ ext: 'tif', mime: 'image/tiff' });
    expect(await fileTypeFromBuffer(head(file))).toBeUndefined();
  });

  it('still answers PNG when the head ends before IDAT (large ancillary chunks)', async () => {
    // Signature (8) + IHDR (25) + tEXt chunk (12 + n): cut inside the next chunk header, or in the text.
    for (const cut of [4, 8, 1000]) {
      const text = Buffer.alloc(SNIFF_BYTES - cut - 33 - 12, 0x41);
      const file = png([pngChunk('tEXt', text)]);
      expect(await fileTypeFromBuffer(head(file))).toEqual({ ext: 'png', mime: 'image/png' });
    }
    const file = png([pngChunk('iCCP', Buffer.alloc(SNIFF_BYTES * 2))]);
    expect(await fileTypeFromBuffer(head(file))).toEqual({ ext: 'png', mime: 'image/png' });
  });
});

describe('sniff', () => {
  it.each([
    ['PDF', pdf, { mime: 'application/pdf', ext: 'pdf' }],
    ['PNG', () => png(), { mime: 'image/png', ext: 'png' }],
    ['JPEG', jpeg, { mime: 'image/jpeg', ext: 'jpg' }],
    ['TIFF, little endian', () => tiff(), { mime: 'image/tiff', ext: 'tif' }],
    ['TIFF, big endian', () => tiff({ bigEndian: true }), { mime: 'image/tiff', ext: 'tif' }],
    ['WebP', webp, { mime: 'image/webp', ext: 'webp' }],
    ['DWG', () => dwg(), { mime: 'image/vnd.dwg', ext: 'dwg' }],
    ['OLE compound file', cfb, { mime: 'application/x-cfb', ext: 'cfb' }],
    ['DOCX', docx, { mime: DOCX, ext: 'docx' }],
    ['XLSX', xlsx, { mime: XLSX, ext: 'xlsx' }],
    ['PPTX', pptx, { mime: PPTX, ext: 'pptx' }],
    ['ODT', () => openDocument('application/vnd.oasis.opendocument.text'), { mime: 'application/vnd.oasis.opendocument.text', ext: 'odt' }],
    ['ODS', () => openDocument('application/vnd.oasis.opendocument.spreadsheet'), { mime: 'application/vnd.oasis.opendocument.spreadsheet', ext: 'ods' }],
    ['EXE', exe, { mime: 'application/x-msdownload', ext: 'exe' }],
    ['ZIP', () => zip([['a.txt', 'hello'], ['b.exe', exe()]]), { mime: 'application/zip', ext: 'zip' }],
  ])('%s', async (_label, build, expected) => {
    expect(await sniff(head(build()))).toEqual(expected);
  });

  it('returns undefined for text, which has no magic number', async () => {
    expect(await sniff(Buffer.from('Báo cáo thẩm định công nghệ\nDự án: Nhà máy A\n'))).toBeUndefined();
    expect(await sniff(Buffer.from('a,b,c\n1,2,3\n'))).toBeUndefined();
    expect(await sniff(new Uint8Array(0))).toBeUndefined();
    expect(await sniff(new Uint8Array([0x25]))).toBeUndefined();
  });

  describe('OOXML whose [Content_Types].xml lies beyond the head', () => {
    it('recognises LibreOffice entry order', async () => {
      expect(await sniff(head(docxLibreOfficeOrder()))).toEqual({ mime: DOCX, ext: 'docx' });
    });

    it('recognises entries written with data descriptors (streaming zip writers)', async () => {
      const file = docxLibreOfficeOrder({ dataDescriptor: true });
      expect(await sniff(head(file))).toEqual({ mime: DOCX, ext: 'docx' });
      expect(await sniff(file)).toEqual({ mime: DOCX, ext: 'docx' }); // whole file: file-type itself
    });

    it('recognises openpyxl entry order (docProps first, no _rels yet)', async () => {
      expect(await sniff(head(xlsxOpenpyxlOrder()))).toEqual({ mime: XLSX, ext: 'xlsx' });
    });

    it('reports macro-enabled documents as such', async () => {
      const file = docxLibreOfficeOrder({}, [['word/vbaProject.bin', randomBytes(2000)]]);
      expect(await sniff(head(file))).toEqual({ mime: 'application/vnd.ms-word.document.macroenabled.12', ext: 'docm' });
      // …as file-type does when it can read [Content_Types].xml.
      const msOrder = zip([['[Content_Types].xml', contentTypes('/word/document.xml', DOCM_MAIN)], ['word/document.xml', wordDocument]]);
      expect(await sniff(msOrder)).toEqual({ mime: 'application/vnd.ms-word.document.macroenabled.12', ext: 'docm' });
    });

    it('works on a view into a larger buffer', async () => {
      const file = docxLibreOfficeOrder();
      const backing = Buffer.concat([Buffer.from('xyz'), file]);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 3, SNIFF_BYTES);
      expect(await sniff(view)).toEqual({ mime: DOCX, ext: 'docx' });
    });

    it('leaves archives that merely contain an Office-like folder as ZIP', async () => {
      const zipOf = (entries: ZipEntry[]) => sniff(head(zip(entries)));
      const ZIP = { mime: 'application/zip', ext: 'zip' };
      // No OPC package marker.
      expect(await zipOf([['word/document.xml', wordDocument], ['tool.exe', exe()], ['pad.bin', bigMedia()]])).toEqual(ZIP);
      // Ambiguous: two main-part folders.
      expect(await zipOf([['_rels/.rels', rootRels('x')], ['word/a.xml', 'a'], ['xl/b.xml', 'b'], ['pad.bin', bigMedia()]])).toEqual(ZIP);
      // [Content_Types].xml was wholly in the head and names no document: file-type's "zip" stands.
      expect(
        await zipOf([
          ['[Content_Types].xml', `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`],
          ['word/document.xml', wordDocument],
        ]),
      ).toEqual(ZIP);
    });
  });

  it('recognises a TIFF whose IFD lies beyond the head by its header', async () => {
    expect(await sniff(head(tiff({ ifdAtEnd: true, pixelBytes: 200_000 })))).toEqual({ mime: 'image/tiff', ext: 'tif' });
    expect(await sniff(head(tiff({ ifdAtEnd: true, bigEndian: true, pixelBytes: 200_000 })))).toEqual({ mime: 'image/tiff', ext: 'tif' });
  });

  it('detects files shorter than SNIFF_BYTES from their whole content', async () => {
    expect(docx().length).toBeLessThan(SNIFF_BYTES);
    expect(await sniff(docx())).toEqual({ mime: DOCX, ext: 'docx' });
  });
});

describe('checkType', () => {
  it.each([
    ['Báo cáo công nghệ.pdf', pdf, 'application/pdf'],
    ['BÁO CÁO.PDF', pdf, 'application/pdf'],
    ['scan.png', () => png(), 'image/png'],
    ['ảnh.jpg', jpeg, 'image/jpeg'],
    ['ảnh.jpeg', jpeg, 'image/jpeg'],
    ['ảnh.JPEG', jpeg, 'image/jpeg'],
    ['bản vẽ.tif', () => tiff(), 'image/tiff'],
    ['bản vẽ.tiff', () => tiff(), 'image/tiff'],
    ['bản quét (IFD at the end).tif', () => tiff({ ifdAtEnd: true, pixelBytes: 200_000 }), 'image/tiff'],
    ['ảnh.webp', webp, 'image/webp'],
    ['Mặt bằng.dwg', () => dwg(), 'image/vnd.dwg'],
    ['Thuyết minh.docx', docx, DOCX],
    ['Thuyết minh (LibreOffice).docx', () => docxLibreOfficeOrder(), DOCX],
    ['Dự toán.xlsx', xlsx, XLSX],
    ['Trình bày.pptx', pptx, PPTX],
    ['văn bản.odt', () => openDocument('application/vnd.oasis.opendocument.text'), 'application/vnd.oasis.opendocument.text'],
    ['bảng.ods', () => openDocument('application/vnd.oasis.opendocument.spreadsheet'), 'application/vnd.oasis.opendocument.spreadsheet'],
    ['Hồ sơ cũ.doc', cfb, 'application/msword'],
    ['Bảng cũ.xls', cfb, 'application/vnd.ms-excel'],
    ['Trình bày cũ.ppt', cfb, 'application/vnd.ms-powerpoint'],
  ])('accepts %s', async (fileName, build, mediaType) => {
    expect(await checkFile(build(), fileName)).toEqual({ ok: true, mediaType });
  });

  it.each([
    ['EXE', exe, 'setup.exe', /Windows program \(application\/x-msdownload\).*"\.exe"/],
    ['EXE named .pdf', exe, 'báo cáo.pdf', /Windows program.*"\.pdf"/],
    ['ZIP', () => zip([['a.txt', 'x']]), 'hồ sơ.zip', /ZIP archive \(application\/zip\).*"\.zip"/],
    ['ZIP named .docx', () => zip([['a.txt', 'x']]), 'hồ sơ.docx', /ZIP archive.*"\.docx"/],
    ['text', () => Buffer.from('Xin chào\n'), 'ghi chú.txt', /not in a recognised format.*"\.txt"/],
    ['DOCM', () => docxLibreOfficeOrder({}, [['word/vbaProject.bin', randomBytes(100)]]), 'x.docm', /macro-enabled Word document/],
    ['DWG of an unknown version', () => dwg('AC1099'), 'x.dwg', /not in a recognised format/],
  ])('refuses %s as UNSUPPORTED_MEDIA_TYPE', async (_label, build, fileName, message) => {
    const result = await checkFile(build(), fileName);
    expect(result).toMatchObject({ ok: false, code: 'UNSUPPORTED_MEDIA_TYPE' });
    if (result.ok) throw new Error('unreachable');
    expect(result.message).toMatch(message);
    expect(result.message).toContain('Accepted formats: PDF, DOCX, XLSX, PPTX, DOC, XLS, PPT, ODT, ODS, PNG, JPG, JPEG, TIF, TIFF, WEBP, DWG.');
  });

  it.each([
    ['report.docx', pdf, 'This file is a PDF document, but its name has ".docx". Rename it with .pdf and upload it again.'],
    ['scan.jpg', () => png(), 'This file is a PNG image, but its name has ".jpg". Rename it with .png and upload it again.'],
    ['scan.png', jpeg, 'This file is a JPEG image, but its name has ".png". Rename it with .jpg or .jpeg and upload it again.'],
    ['Thuyết minh.doc', docx, 'This file is a Word document (DOCX), but its name has ".doc". Rename it with .docx and upload it again.'],
    ['README', pdf, 'This file is a PDF document, but its name has no extension. Rename it with .pdf and upload it again.'],
    [
      'cũ.docx',
      cfb,
      'This file is a Word 97–2003 document (DOC), an Excel 97–2003 workbook (XLS) or a PowerPoint 97–2003 presentation (PPT), ' +
        'but its name has ".docx". Rename it with .doc, .xls or .ppt and upload it again.',
    ],
    ['installer.msi', cfb, /but its name has "\.msi"/],
    ['báo cáo.pdf.exe', pdf, /PDF document, but its name has "\.exe"/],
    ['hoá đơn\u202Efdp.exe', pdf, /PDF document, but its name has "\.exe"/], // RTLO: shows as "hoá đơnexe.pdf"
    ['x.tff', () => tiff(), /TIFF image, but its name has "\.tff"\. Rename it with \.tif or \.tiff/],
  ])('refuses %s (content of another allowed type) as EXTENSION_MISMATCH', async (fileName, build, message) => {
    const result = await checkFile(build(), fileName);
    expect(result).toMatchObject({ ok: false, code: 'EXTENSION_MISMATCH' });
    if (result.ok) throw new Error('unreachable');
    if (typeof message === 'string') expect(result.message).toBe(message);
    else expect(result.message).toMatch(message);
  });

  it('tolerates a leading dot and upper case in the extension argument', () => {
    const sniffed = { mime: 'application/pdf', ext: 'pdf' };
    expect(checkType(sniffed, '.PDF')).toEqual({ ok: true, mediaType: 'application/pdf' });
    expect(checkType({ mime: 'IMAGE/PNG', ext: 'png' }, 'png')).toEqual({ ok: true, mediaType: 'image/png' });
  });

  it('accepts an animated PNG as PNG', () => {
    expect(checkType({ mime: 'image/apng', ext: 'apng' }, 'png')).toEqual({ ok: true, mediaType: 'image/png' });
  });
});
