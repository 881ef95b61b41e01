import { describe, expect, it } from 'vitest';
import contentDisposition from 'content-disposition';
import {
  MAX_FILE_NAME_BYTES,
  contentDispositionFor,
  sanitiseFileName,
} from '../../src/modules/documents/file-name';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const name = (s: string) => sanitiseFileName(s).name;

describe('sanitiseFileName', () => {
  it('keeps Vietnamese names as they are', () => {
    for (const s of [
      'Báo cáo công nghệ.pdf',
      'Hồ sơ đề nghị thẩm định công nghệ dự án đầu tư.docx',
      'Thuyết minh dây chuyền – Nhà máy Đồng Nai (bản 2).xlsx',
      'BẢN VẼ MẶT BẰNG TỔNG THỂ.dwg',
    ]) {
      expect(sanitiseFileName(s)).toEqual({ name: s, extension: s.slice(s.lastIndexOf('.') + 1).toLowerCase() });
    }
  });

  it('NFC-normalises decomposed input (as macOS sends it)', () => {
    const nfd = 'Báo cáo công nghệ.pdf'.normalize('NFD');
    expect(nfd).not.toBe('Báo cáo công nghệ.pdf');
    expect(name(nfd)).toBe('Báo cáo công nghệ.pdf');
  });

  it('keeps only the last path segment, for both separators', () => {
    expect(name('../../etc/passwd')).toBe('passwd');
    expect(name('C:\\Users\\An\\Desktop\\Hồ sơ.docx')).toBe('Hồ sơ.docx');
    expect(name('a/b\\c/..\\d.pdf')).toBe('d.pdf');
    expect(name('\\\\server\\share\\x.pdf')).toBe('x.pdf');
    expect(name('thư mục/')).toBe('file');
  });

  it('removes C0, DEL and C1 controls; line breaks and tabs become spaces', () => {
    expect(name('a\u0000b\u0007c\u001bd\u007fe.pdf')).toBe('abcde.pdf');
    expect(name('a\u0080b\u009bc\u009fd.pdf')).toBe('abcd.pdf');
    expect(name('Báo\ncáo\r\n\tthẩm\u0085định.pdf')).toBe('Báo cáo thẩm định.pdf');
  });

  it('removes bidi controls, so the real extension cannot be disguised', () => {
    // Displayed as "invoiceexe.pdf" by bidi-aware UIs; really an .exe.
    expect(sanitiseFileName('invoice\u202Efdp.exe')).toEqual({ name: 'invoicefdp.exe', extension: 'exe' });
    const bidi = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'];
    expect(name(`Báo${bidi.join('')} cáo.pdf`)).toBe('Báo cáo.pdf');
  });

  it('removes zero-width and other format characters', () => {
    expect(name('\uFEFFBáo\u200Bcáo\u200C\u200D\u2060\u00AD.pdf')).toBe('Báocáo.pdf');
    // A zero-width char between a letter and its combining mark must not leave them apart.
    expect(name('Ba\u200B\u0301o.pdf')).toBe('Báo.pdf');
  });

  it('removes lone surrogates but keeps emoji', () => {
    expect(name('a\uD800b\uDFFFc.pdf')).toBe('abc.pdf');
    expect(name('Ảnh 📷.jpg')).toBe('Ảnh 📷.jpg');
  });

  it('collapses whitespace (including NBSP and ideographic space) and trims', () => {
    expect(name('   Báo \u00A0\u3000  cáo   .pdf  ')).toBe('Báo cáo .pdf');
  });

  it('trims leading dots and spaces: no hidden files, no ".."', () => {
    expect(name('.htaccess')).toBe('file.htaccess');
    expect(name('. . .hidden.pdf')).toBe('hidden.pdf');
    expect(name('..')).toBe('file');
    expect(name('...pdf')).toBe('file.pdf');
    expect(name('.pdf')).toBe('file.pdf');
  });

  it('trims trailing dots and spaces, as Windows does when saving', () => {
    expect(sanitiseFileName('report.pdf. . ')).toEqual({ name: 'report.pdf', extension: 'pdf' });
    expect(sanitiseFileName('report.')).toEqual({ name: 'report', extension: '' });
  });

  it('replaces characters invalid on Windows with "_"', () => {
    expect(name('a<b>c:d"e|f?g*h.pdf')).toBe('a_b_c_d_e_f_g_h.pdf');
    expect(name('C:report.pdf')).toBe('C_report.pdf');
  });

  it('prefixes Windows device names with "_"', () => {
    for (const device of ['CON', 'con', 'PRN', 'AUX', 'NUL', 'COM1', 'com9', 'LPT1', 'LPT9', 'COM¹', 'CONIN$']) {
      expect(name(device)).toBe(`_${device}`);
      expect(name(`${device}.pdf`)).toBe(`_${device}.pdf`);
    }
    expect(name('NUL .tar.gz')).toBe('_NUL .tar.gz');
    for (const ok of ['CONSOLE.pdf', 'COM10.pdf', 'xCON.pdf', 'CON_x.pdf', 'AUXILIARY.pdf']) expect(name(ok)).toBe(ok);
  });

  it('returns "file" (plus extension) when nothing usable remains', () => {
    for (const s of ['', ' ', '\u202E', '\u0000\u0001', '///', '. .', '\uFEFF']) {
      expect(sanitiseFileName(s)).toEqual({ name: 'file', extension: '' });
    }
    expect(sanitiseFileName('\u202E.pdf')).toEqual({ name: 'file.pdf', extension: 'pdf' });
  });

  describe('extension', () => {
    it.each([
      ['x.pdf.exe', 'exe'],
      ['Báo cáo.PDF', 'pdf'],
      ['archive.tar.gz', 'gz'],
      ['README', ''],
      ['Báo cáo. Phần 2', ''], // text after a sentence's full stop is not an extension
      ['Ảnh.JPEG', 'jpeg'],
    ])('%s → %j', (input, extension) => {
      expect(sanitiseFileName(input).extension).toBe(extension);
    });

    it('keeps the original case in the name', () => {
      expect(name('Báo cáo.PDF')).toBe('Báo cáo.PDF');
    });
  });

  describe('255-byte limit', () => {
    it('truncates the stem of a long Vietnamese name on a character boundary, keeping the extension', () => {
      const long = 'ệ'.repeat(300) + '.pdf'; // 'ệ' is 3 bytes in UTF-8
      const r = sanitiseFileName(long);
      expect(bytes(r.name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
      expect(r.name).toBe('ệ'.repeat(83) + '.pdf'); // 83 × 3 + 4 = 253; one more would be 256
      expect(r.extension).toBe('pdf');
    });

    it('never splits a surrogate pair or a letter from its combining marks', () => {
      const emoji = sanitiseFileName('😀'.repeat(100) + '.docx');
      expect(emoji.name).toBe('😀'.repeat(62) + '.docx'); // 62 × 4 + 5 = 253
      // "ệ" plus two marks that cannot compose further: 3 + 2 + 2 = 7 bytes and 3 code points per
      // grapheme; a code-point cut would leave a bare "ệ" or a half-marked letter at the end.
      const grapheme = 'ệ\u0323\u0302'.normalize('NFC');
      const r = sanitiseFileName(grapheme.repeat(100) + '.pdf');
      expect(bytes(r.name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
      const stem = r.name.slice(0, -'.pdf'.length);
      expect(stem.length % grapheme.length).toBe(0);
      expect(stem).toBe(grapheme.repeat(stem.length / grapheme.length));
    });

    it('does not leave dots or spaces where the stem was cut', () => {
      const r = sanitiseFileName('a'.repeat(248) + ' . . . x.pdf');
      expect(r.name).toBe('a'.repeat(248) + '.pdf');
    });

    it('cuts a name without extension, or with an absurdly long one, as a whole', () => {
      expect(name('đ'.repeat(200))).toBe('đ'.repeat(127)); // 2 bytes each
      const r = sanitiseFileName('a.' + 'b'.repeat(300));
      expect(bytes(r.name)).toBe(255);
      expect(r.name.startsWith('a.bbb')).toBe(true);
    });

    it('keeps names of exactly 255 bytes', () => {
      const exact = 'a'.repeat(251) + '.pdf';
      expect(name(exact)).toBe(exact);
    });
  });

  it('is idempotent, and its output always satisfies the invariants (randomised)', () => {
    const alphabet = [
      'a', 'Z', '0', ' ', ' ', '.', '.', '/', '\\', '-', '_', '(', ')',
      'á', 'ệ', 'đ', 'Ư', 'ơ', '\u0301', '\u0323', // Vietnamese, precomposed and combining
      '\u0000', '\n', '\t', '\u007f', '\u0085', '\u009b', // controls
      '\u202E', '\u2066', '\u200B', '\u200D', '\uFEFF', '\u061C', // bidi, zero-width
      '<', '>', ':', '"', '|', '?', '*', '😀', '\uD800', '\u00A0', '\u3000', 'CON', 'lpt1', '.pdf', '.EXE',
    ];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 3000; i++) {
      const length = Math.floor(random() * (i % 10 === 0 ? 400 : 30));
      let s = '';
      for (let j = 0; j < length; j++) s += alphabet[Math.floor(random() * alphabet.length)];

      const r = sanitiseFileName(s);
      expect(sanitiseFileName(r.name), JSON.stringify(s)).toEqual(r);
      expect(r.name.length).toBeGreaterThan(0);
      expect(bytes(r.name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
      expect(r.name).toBe(r.name.normalize('NFC'));
      expect(r.name).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}<>:"|?*/\\]/u);
      expect(r.name).not.toMatch(/^[. ]|[. ]$|\s{2}|[^\S ]/u);
      expect(r.name.split('.', 1)[0]!.trimEnd()).not.toMatch(/^(CON|PRN|AUX|NUL|COM\d|LPT\d)$/i);
      const dot = r.name.lastIndexOf('.');
      const ext = dot < 0 ? '' : r.name.slice(dot + 1);
      expect(r.extension).toBe(/\s/.test(ext) ? '' : ext.toLowerCase());
    }
  });
});

describe('contentDispositionFor', () => {
  /** Printable ASCII only: no CR/LF (header injection), no raw non-ASCII bytes. */
  const SAFE_HEADER = /^[\x20-\x7e]+$/;

  it('sends an ASCII fallback and the exact UTF-8 name (RFC 6266 / 8187)', () => {
    const header = contentDispositionFor('Báo cáo công nghệ.pdf');
    expect(header).toBe(
      'attachment; filename="Bao cao cong nghe.pdf"; ' +
        "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20c%C3%B4ng%20ngh%E1%BB%87.pdf",
    );
    expect(contentDisposition.parse(header)).toEqual({
      type: 'attachment',
      parameters: { filename: 'Báo cáo công nghệ.pdf' }, // filename* wins when parsed
    });
  });

  it('maps đ/Đ to d/D in the fallback and supports inline', () => {
    const header = contentDispositionFor('Đề án đầu tư.docx', 'inline');
    expect(header.startsWith('inline; filename="De an dau tu.docx"; filename*=UTF-8\'\'')).toBe(true);
    expect(contentDisposition.parse(header).parameters['filename']).toBe('Đề án đầu tư.docx');
  });

  it('sends only filename= for plain ASCII names', () => {
    expect(contentDispositionFor('report-2024.pdf')).toBe('attachment; filename="report-2024.pdf"');
  });

  it('cannot be used for header injection, and quotes or backslashes cannot break out', () => {
    const nasty = [
      'a\r\nSet-Cookie: session=evil.pdf',
      'x"; filename="evil.exe',
      'Báo "cáo" \\ phụ lục.pdf',
      'tab\there\u0085nel\u2028ls.pdf',
      '\u202Eexe.pdf',
      '"\\"\\\\"',
      '100%41 café ½.pdf',
    ];
    for (const n of nasty) {
      const header = contentDispositionFor(n);
      expect(header, n).toMatch(SAFE_HEADER);
      expect(header).not.toMatch(/[\r\n]/);
      const parsed = contentDisposition.parse(header);
      expect(parsed.type).toBe('attachment');
      // Exactly the parameters we meant: nothing smuggled in by a quote.
      expect(Object.keys(parsed.parameters)).toEqual(['filename']);
      expect(parsed.parameters['filename']).toBe(sanitiseFileName(n).name);
    }
    expect(contentDispositionFor('x"; filename="evil.exe')).toBe('attachment; filename="x_; filename=_evil.exe"');
  });

  it('percent-encodes characters that look like escapes, so "%41" is not decoded to "A"', () => {
    const header = contentDispositionFor('100%41.pdf');
    expect(header).toContain("filename*=UTF-8''100%2541.pdf");
    expect(contentDisposition.parse(header).parameters['filename']).toBe('100%41.pdf');
  });
});
