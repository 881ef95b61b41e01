/**
 * Renders a slip's view model to a PDF (pure apart from reading the committed font files): A4,
 * Decree 30/2020 layout (agency and number on the left, the national motto on the right, place
 * and date, title, body, signature block), Liberation Serif (Times New Roman metrics, full
 * Vietnamese coverage) embedded, PDF/A-2b as pdfkit produces it. Times print in Vietnam time.
 */
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import { FORM_INFO, RESULT_TITLES, numberLabel, type SlipStamp, type SlipView } from './slip-views';

const FONT_DIR = fileURLToPath(new URL('../../../assets/fonts/', import.meta.url));
const FONTS = { regular: `${FONT_DIR}LiberationSerif-Regular.ttf`, bold: `${FONT_DIR}LiberationSerif-Bold.ttf`, italic: `${FONT_DIR}LiberationSerif-Italic.ttf` };

const MM = 72 / 25.4;
const PAGE = { width: 210 * MM, left: 30 * MM, right: 15 * MM, top: 20 * MM, bottom: 20 * MM };
const CONTENT_WIDTH = PAGE.width - PAGE.left - PAGE.right;
const BODY_SIZE = 13;

const pad = (n: number) => String(n).padStart(2, '0');
/** Parts of a Vietnamese local date/time: a YYYY-MM-DD date, or an instant shifted to UTC+7. */
function localParts(value: string) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-').map(Number) as [number, number, number];
    return { y, m, d, hh: null as number | null, mm: null as number | null };
  }
  const t = new Date(new Date(value).getTime() + 7 * 3_600_000);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), hh: t.getUTCHours(), mm: t.getUTCMinutes() };
}
/** "ngày 17 tháng 02 năm 2026" */
export function vietnameseDate(value: string): string {
  const p = localParts(value);
  return `ngày ${pad(p.d)} tháng ${pad(p.m)} năm ${p.y}`;
}
/** "08 giờ 30 phút, ngày 17/02/2026" (or the date alone for a date). */
export function vietnameseDateTime(value: string): string {
  const p = localParts(value);
  const day = `${pad(p.d)}/${pad(p.m)}/${p.y}`;
  return p.hh === null ? day : `${pad(p.hh)} giờ ${pad(p.mm!)} phút, ngày ${day}`;
}

const OUTCOMES = { approved: 'Đồng ý', approved_with_conditions: 'Đồng ý có điều kiện', rejected: 'Không đồng ý' } as const;

type Doc = PDFKit.PDFDocument;

function header(doc: Doc, view: SlipView, stamp: SlipStamp) {
  const leftW = CONTENT_WIDTH * 0.45;
  const rightX = PAGE.left + leftW;
  const rightW = CONTENT_WIDTH - leftW;
  const top = PAGE.top;
  const info = FORM_INFO[view.form];
  if (info.formLabel) doc.font('italic').fontSize(11).text(info.formLabel, PAGE.left, top - 12, { width: CONTENT_WIDTH, align: 'right' });
  doc.font('regular').fontSize(12).text(view.agency.parent.toUpperCase(), PAGE.left, top, { width: leftW, align: 'center' });
  doc.font('bold').fontSize(12).text(view.agency.name.toUpperCase(), { width: leftW, align: 'center' });
  const lineY = doc.y + 2;
  doc.moveTo(PAGE.left + leftW * 0.3, lineY).lineTo(PAGE.left + leftW * 0.7, lineY).lineWidth(0.5).stroke();
  doc.font('regular').fontSize(13).text(`Số: ${numberLabel(view.form, stamp.number, stamp.year)}`, PAGE.left, lineY + 6, { width: leftW, align: 'center' });
  const leftBottom = doc.y;

  doc.font('bold').fontSize(12).text('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', rightX, top, { width: rightW, align: 'center' });
  doc.font('bold').fontSize(13).text('Độc lập - Tự do - Hạnh phúc', { width: rightW, align: 'center' });
  const mottoY = doc.y + 2;
  doc.moveTo(rightX + rightW * 0.22, mottoY).lineTo(rightX + rightW * 0.78, mottoY).lineWidth(0.5).stroke();
  doc.font('italic').fontSize(13).text(`${view.place}, ${vietnameseDate(stamp.issuedAt)}`, rightX, mottoY + 6, { width: rightW, align: 'center' });
  doc.y = Math.max(leftBottom, doc.y) + 18;

  const title = view.form === 'result' ? RESULT_TITLES[view.documentKind] : info.title;
  doc.font('bold').fontSize(14).text(title, PAGE.left, doc.y, { width: CONTENT_WIDTH, align: 'center' });
  doc.font('regular').fontSize(BODY_SIZE).text(`Mã hồ sơ: ${view.projectCode}`, { width: CONTENT_WIDTH, align: 'center' });
  doc.moveDown(1);
}

const para = (doc: Doc, text: string, opts: PDFKit.Mixins.TextOptions = {}) =>
  doc.font('regular').fontSize(BODY_SIZE).text(text, PAGE.left, doc.y, { width: CONTENT_WIDTH, align: 'justify', paragraphGap: 4, ...opts });
const labelled = (doc: Doc, label: string, value: string) => {
  doc.font('bold').fontSize(BODY_SIZE).text(`${label}: `, PAGE.left, doc.y, { continued: true, width: CONTENT_WIDTH });
  doc.font('regular').text(value, { paragraphGap: 4 });
};
const numbered = (doc: Doc, items: string[]) => items.forEach((t, i) => para(doc, `${i + 1}. ${t}`, { indent: 14 }));

function projectLines(doc: Doc, view: SlipView) {
  labelled(doc, 'Tổ chức, cá nhân (nhà đầu tư)', view.investor);
  labelled(doc, 'Dự án', view.projectName);
  labelled(doc, 'Thủ tục', view.procedure);
}

function body(doc: Doc, view: SlipView) {
  switch (view.form) {
    case 'receipt':
      para(doc, `${view.agency.name} đã tiếp nhận hồ sơ lúc ${vietnameseDateTime(view.receivedAt)}.`);
      projectLines(doc, view);
      doc.font('bold').fontSize(BODY_SIZE).text('Thành phần hồ sơ:', PAGE.left, doc.y, { paragraphGap: 2 });
      numbered(doc, view.documents.map((d) => (d.copies ? `${d.name} (${d.copies})` : d.name)));
      labelled(doc, 'Người tiếp nhận', view.receivedBy);
      labelled(doc, 'Ngày hẹn trả kết quả', vietnameseDateTime(view.appointmentDate));
      para(doc, 'Khi đến nhận kết quả, tổ chức, cá nhân mang theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả này.', { align: 'left' });
      break;
    case 'supplementation_request':
      para(doc, `Ngày ${vietnameseDateTime(view.receivedAt)}, ${view.agency.name} đã tiếp nhận hồ sơ của tổ chức, cá nhân dưới đây.`);
      projectLines(doc, view);
      para(doc, 'Sau khi kiểm tra, hồ sơ chưa đầy đủ, hợp lệ. Đề nghị bổ sung, hoàn thiện đồng thời các nội dung sau:');
      view.missing.forEach((m, i) => {
        doc.font('bold').fontSize(BODY_SIZE).text(`${i + 1}. ${m.item}`, PAGE.left + 14, doc.y, { width: CONTENT_WIDTH - 14, paragraphGap: 1 });
        doc.font('italic').text(`Lý do: ${m.reason}`, PAGE.left + 28, doc.y, { width: CONTENT_WIDTH - 28, paragraphGap: 4 });
      });
      para(doc, 'Thời hạn giải quyết được tính lại từ ngày nhận đủ hồ sơ hợp lệ. Xin trân trọng cảm ơn.');
      break;
    case 'refusal':
      para(doc, `Ngày ${vietnameseDateTime(view.receivedAt)}, ${view.agency.name} đã nhận hồ sơ của tổ chức, cá nhân dưới đây.`);
      projectLines(doc, view);
      para(doc, 'Hồ sơ không đủ điều kiện tiếp nhận, giải quyết vì những lý do sau:');
      numbered(doc, view.reasons);
      para(doc, 'Xin thông báo để tổ chức, cá nhân biết và thực hiện.');
      break;
    case 'apology':
      projectLines(doc, view);
      para(doc, `Ngày ${vietnameseDateTime(view.receivedAt)}, ${view.agency.name} tiếp nhận hồ sơ, hẹn trả kết quả ${vietnameseDateTime(view.originalAppointment)}.`);
      labelled(doc, 'Lý do chậm trễ', view.reason);
      para(doc, `Sự chậm trễ này đã gây phiền hà cho tổ chức, cá nhân. ${view.agency.name} xin lỗi và hẹn lại ngày trả kết quả:`);
      doc.font('bold').fontSize(BODY_SIZE).text(vietnameseDateTime(view.newAppointment), PAGE.left, doc.y, { width: CONTENT_WIDTH, align: 'center', paragraphGap: 6 });
      para(doc, 'Kính mong nhận được sự thông cảm của tổ chức, cá nhân.');
      break;
    case 'process_control': {
      projectLines(doc, view);
      labelled(doc, 'Thời gian tiếp nhận', vietnameseDateTime(view.receivedAt));
      labelled(doc, 'Ngày hẹn trả kết quả', vietnameseDateTime(view.appointmentDate));
      doc.moveDown(0.5);
      // One block per hand-over: a table would not fit the long Vietnamese labels on A4 portrait.
      view.steps.forEach((s, i) => {
        doc.font('bold').fontSize(BODY_SIZE).text(`${i + 1}. ${s.step}: ${s.from} → ${s.to}`, PAGE.left, doc.y, { width: CONTENT_WIDTH, paragraphGap: 1 });
        const lines = [
          `Thời gian giao: ${vietnameseDateTime(s.timeIn)}`,
          `Thời gian nhận / hoàn thành: ${s.timeOut ? vietnameseDateTime(s.timeOut) : 'chưa hoàn thành'}`,
          `Hạn xử lý: ${vietnameseDateTime(s.dueAt)}`,
          ...(s.result ? [`Kết quả: ${s.result}`] : []),
        ];
        doc.font('regular').text(lines.join('\n'), PAGE.left + 14, doc.y, { width: CONTENT_WIDTH - 14, paragraphGap: 4 });
      });
      break;
    }
    case 'result':
      doc.font('regular').fontSize(BODY_SIZE).text(`Kính gửi: ${view.recipients.join('; ')}.`, PAGE.left, doc.y, { width: CONTENT_WIDTH, align: 'center', paragraphGap: 6 });
      projectLines(doc, view);
      labelled(doc, 'Kết luận', OUTCOMES[view.outcome]);
      doc.font('bold').fontSize(BODY_SIZE).text('Căn cứ và lý do:', PAGE.left, doc.y, { paragraphGap: 2 });
      numbered(doc, view.reasons);
      if (view.conditions.length) {
        doc.font('bold').fontSize(BODY_SIZE).text('Điều kiện kèm theo:', PAGE.left, doc.y, { paragraphGap: 2 });
        numbered(doc, view.conditions);
      }
      labelled(doc, 'Thành viên thẩm định / cơ quan có ý kiến', view.reviewers.join(', '));
      break;
  }
}

function signature(doc: Doc, view: SlipView) {
  doc.moveDown(1);
  const x = PAGE.left + CONTENT_WIDTH * 0.45;
  const w = CONTENT_WIDTH * 0.55;
  const y = doc.y;
  doc.font('bold').fontSize(BODY_SIZE).text(view.signer.title.toUpperCase(), x, y, { width: w, align: 'center' });
  doc.font('italic').fontSize(12).text('(Ký, ghi rõ họ tên)', x, doc.y, { width: w, align: 'center' });
  doc.moveDown(3);
  doc.font('bold').fontSize(BODY_SIZE).text(view.signer.name, x, doc.y, { width: w, align: 'center' });
}

function footer(doc: Doc, stamp: SlipStamp) {
  doc.moveDown(2);
  doc
    .font('italic')
    .fontSize(10)
    .text(
      `Mã xác minh: ${stamp.verificationCode}. Kiểm tra tính xác thực: GET /v1/slips/verify?code=${stamp.verificationCode} (hoặc gửi tệp PDF tới POST /v1/slips/verify).`,
      PAGE.left,
      doc.y,
      { width: CONTENT_WIDTH, align: 'left' },
    );
}

/** The PDF bytes of a slip. */
export function renderSlipPdf(view: SlipView, stamp: SlipStamp): Promise<Buffer> {
  const title = view.form === 'result' ? RESULT_TITLES[view.documentKind] : FORM_INFO[view.form].title;
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: PAGE.top, bottom: PAGE.bottom, left: PAGE.left, right: PAGE.right },
    pdfVersion: '1.7',
    subset: 'PDF/A-2b',
    lang: 'vi-VN',
    displayTitle: true,
    info: {
      Title: `${title} — ${view.projectCode} — ${numberLabel(view.form, stamp.number, stamp.year)}`,
      Author: view.agency.name,
      Subject: view.procedure,
      Keywords: `verification:${stamp.verificationCode}`,
      CreationDate: new Date(stamp.issuedAt),
      ModDate: new Date(stamp.issuedAt),
    },
  });
  doc.registerFont('regular', FONTS.regular);
  doc.registerFont('bold', FONTS.bold);
  doc.registerFont('italic', FONTS.italic);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  header(doc, view, stamp);
  body(doc, view);
  signature(doc, view);
  footer(doc, stamp);
  doc.end();
  return done;
}
