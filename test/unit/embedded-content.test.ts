/**
 * The "two things at once" inspector on crafted samples, fed whole and in small chunks (headers
 * split across chunk boundaries must still be seen), plus false-positive checks on random data.
 */
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createEmbeddedContentInspector, PDF_EOF_TOLERANCE } from '../../src/modules/documents/embedded-content';
import { CLSID, craftCfb, EICAR, elfHeader, pdfWith, peHeader, zipBytes } from '../fixtures/documents/crafted-samples';

async function inspect(content: Buffer, extension: string, chunkSize = 64 * 1024): Promise<{ ok: true } | { ok: false; status: number; code: string; details: Record<string, unknown> }> {
  const chunks = function* () {
    for (let i = 0; i < content.length; i += chunkSize) yield content.subarray(i, i + chunkSize);
  };
  try {
    await pipeline(Readable.from(chunks()), createEmbeddedContentInspector({ extension }), new Writable({ write: (_c, _e, cb) => cb() }));
    return { ok: true };
  } catch (err) {
    const e = err as { statusCode: number; code: string; details: Record<string, unknown> };
    return { ok: false, status: e.statusCode, code: e.code, details: e.details };
  }
}

describe.each([64 * 1024, 7])('embedded content (chunks of %i bytes)', (chunkSize) => {
  it('a plain PDF passes, and so does one with a few bytes of padding after %%EOF', async () => {
    expect(await inspect(pdfWith(Buffer.from('BT /F1 12 Tf (Hello) Tj ET')), 'pdf', chunkSize)).toEqual({ ok: true });
    expect(await inspect(pdfWith(Buffer.from('x'), '\r\n'.repeat(100)), 'pdf', chunkSize)).toEqual({ ok: true });
  });

  it('a PDF with a ZIP appended → 422 PDF_APPENDED_DATA naming the ZIP', async () => {
    const r = await inspect(Buffer.concat([pdfWith(Buffer.from('page')), zipBytes(8192)]), 'pdf', chunkSize);
    expect(r).toMatchObject({ ok: false, status: 422, code: 'PDF_APPENDED_DATA', details: { found: 'a ZIP archive' } });
  });

  it('a PDF with a program appended → 422 naming the program', async () => {
    const r = await inspect(Buffer.concat([pdfWith(Buffer.from('page')), Buffer.from('\n'), peHeader(), randomBytes(2048)]), 'pdf', chunkSize);
    // Seen as an embedded program while streaming, before the end is reached.
    expect(r).toMatchObject({ ok: false, status: 422, code: 'EMBEDDED_EXECUTABLE', details: { found: 'a Windows program (PE)' } });
  });

  it('appended data just within the tolerance passes; just beyond it is refused', async () => {
    expect(await inspect(pdfWith(Buffer.from('p'), 'z'.repeat(PDF_EOF_TOLERANCE - 1)), 'pdf', chunkSize)).toEqual({ ok: true });
    expect(await inspect(pdfWith(Buffer.from('p'), 'z'.repeat(PDF_EOF_TOLERANCE + 10)), 'pdf', chunkSize)).toMatchObject({ ok: false, code: 'PDF_APPENDED_DATA', details: { found: 'data' } });
  });

  it('an incremental update (a second %%EOF at the very end) passes', async () => {
    const updated = Buffer.concat([pdfWith(Buffer.from('v1')), Buffer.from('4 0 obj << >> endobj\ntrailer << /Prev 0 >>\n%%EOF\n')]);
    expect(await inspect(updated, 'pdf', chunkSize)).toEqual({ ok: true });
  });

  it('a PDF without %%EOF → 422 PDF_EOF_MISSING', async () => {
    expect(await inspect(Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\n'), 'pdf', chunkSize)).toMatchObject({ ok: false, code: 'PDF_EOF_MISSING' });
  });

  it.each([
    ['a Windows program (PE)', peHeader()],
    ['a Linux program (ELF)', elfHeader()],
  ])('%s embedded in a PDF stream → 422 EMBEDDED_EXECUTABLE with its offset', async (found, exe) => {
    const body = Buffer.concat([randomBytes(3000), exe, randomBytes(3000)]);
    const pdf = pdfWith(body);
    const r = await inspect(pdf, 'pdf', chunkSize);
    expect(r).toMatchObject({ ok: false, status: 422, code: 'EMBEDDED_EXECUTABLE', details: { found, offset: pdf.indexOf(exe) } });
  });

  it('a program inside an Office body (stored ZIP entry of a DOCX) is refused too', async () => {
    const docx = Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00\x00\x00', 'latin1'), Buffer.from('[Content_Types].xml'), randomBytes(500), peHeader(), randomBytes(500)]);
    expect(await inspect(docx, 'docx', chunkSize)).toMatchObject({ ok: false, code: 'EMBEDDED_EXECUTABLE' });
  });

  it('OLE: Word, Excel, PowerPoint class ids pass under their own extension', async () => {
    expect(await inspect(craftCfb(CLSID.word97, { stream: 'WordDocument' }), 'doc', chunkSize)).toEqual({ ok: true });
    expect(await inspect(craftCfb(CLSID.excel97, { stream: 'Workbook' }), 'xls', chunkSize)).toEqual({ ok: true });
    expect(await inspect(craftCfb(CLSID.powerpoint97, { padSectors: 300 }), 'ppt', chunkSize)).toEqual({ ok: true }); // directory far past the head
  });

  it('OLE: an installer (MSI class id) renamed .doc → 415 OLE_NOT_OFFICE naming it', async () => {
    const r = await inspect(craftCfb(CLSID.msi), 'doc', chunkSize);
    expect(r).toMatchObject({ ok: false, status: 415, code: 'OLE_NOT_OFFICE', details: { found: 'a Windows Installer package (MSI)', clsid: CLSID.msi } });
  });

  it('OLE: an Excel workbook named .doc is refused with the right name; an empty class id is judged by the main stream', async () => {
    expect(await inspect(craftCfb(CLSID.excel97), 'doc', chunkSize)).toMatchObject({ ok: false, code: 'OLE_NOT_OFFICE', details: { found: 'an Excel workbook' } });
    expect(await inspect(craftCfb(CLSID.none, { stream: 'WordDocument' }), 'doc', chunkSize)).toEqual({ ok: true });
    expect(await inspect(craftCfb(CLSID.none, { stream: 'SummaryInformation' }), 'doc', chunkSize)).toMatchObject({ ok: false, code: 'OLE_NOT_OFFICE' });
  });

  it('a file that is itself a program is left to the type check (not reported as embedded at offset 0)', async () => {
    expect(await inspect(Buffer.concat([peHeader(), randomBytes(1000)]), 'exe', chunkSize)).toEqual({ ok: true });
  });
});

describe('no false positives on ordinary content', () => {
  it('16 MiB of random bytes inside a PDF (like compressed streams) pass', async () => {
    expect(await inspect(pdfWith(randomBytes(16 * 1024 * 1024)), 'pdf')).toEqual({ ok: true });
  });
  it('"MZ" and "\\x7fELF" text without a real header pass', async () => {
    expect(await inspect(pdfWith(Buffer.from('MZ is a prefix; \x7fELF too; MZ'.repeat(200))), 'pdf')).toEqual({ ok: true });
  });
  it('EICAR text is no business of this check (the virus scanner finds it)', async () => {
    expect(await inspect(pdfWith(EICAR), 'pdf')).toEqual({ ok: true });
  });
});
