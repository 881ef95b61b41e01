/**
 * Typed view models of the one-stop slips and the result document (Circular 01/2018/TT-VPCP forms
 * under Decree 61/2018/NĐ-CP; whether Decree 118/2025 kept the numbering is to be checked). The
 * renderer prints exactly these fields; nothing is looked up while rendering.
 */

export const SLIP_FORMS = ['receipt', 'supplementation_request', 'refusal', 'apology', 'process_control', 'result'] as const;
export type SlipForm = (typeof SLIP_FORMS)[number];

export interface SlipFormInfo {
  /** "Mẫu số 01" …; the result document is not a numbered one-stop form. */
  formLabel: string | null;
  title: string;
  /** Suffix of the printed number ("12/2026/TNHS"). */
  numberSuffix: string;
}

export const FORM_INFO: Record<SlipForm, SlipFormInfo> = {
  receipt: { formLabel: 'Mẫu số 01', title: 'GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ', numberSuffix: 'TNHS' },
  supplementation_request: { formLabel: 'Mẫu số 02', title: 'PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ', numberSuffix: 'YCBS' },
  refusal: { formLabel: 'Mẫu số 03', title: 'PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ', numberSuffix: 'TCHS' },
  apology: { formLabel: 'Mẫu số 04', title: 'PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ', numberSuffix: 'XLHL' },
  process_control: { formLabel: 'Mẫu số 05', title: 'PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ', numberSuffix: 'KSQT' },
  result: { formLabel: null, title: '', numberSuffix: 'KQTĐ' },
};

export const RESULT_TITLES = {
  technology_opinion: 'VĂN BẢN CÓ Ý KIẾN VỀ CÔNG NGHỆ DỰ ÁN ĐẦU TƯ',
  appraisal_result: 'KẾT QUẢ THẨM ĐỊNH CÔNG NGHỆ DỰ ÁN ĐẦU TƯ',
} as const;

export interface SlipCommon {
  /** The issuing agency (Decree 30/2020 header, left): its parent body and its own name. */
  agency: { parent: string; name: string };
  /** Place name printed before the date ("Quảng Ninh, ngày …"). */
  place: string;
  projectCode: string;
  projectName: string;
  investor: string;
  /** The procedure the dossier is for. */
  procedure: string;
  /** Who signs: position and full name. */
  signer: { title: string; name: string };
}

export interface ReceiptView extends SlipCommon {
  form: 'receipt';
  receivedAt: string;
  documents: Array<{ name: string; copies?: string }>;
  /** The appointment date for the result (YYYY-MM-DD, Vietnam). */
  appointmentDate: string;
  receivedBy: string;
}

export interface SupplementationRequestView extends SlipCommon {
  form: 'supplementation_request';
  receivedAt: string;
  /** Everything missing, listed at once, each with its reason. */
  missing: Array<{ item: string; reason: string }>;
}

export interface RefusalView extends SlipCommon {
  form: 'refusal';
  receivedAt: string;
  reasons: string[];
}

export interface ApologyView extends SlipCommon {
  form: 'apology';
  receivedAt: string;
  originalAppointment: string;
  newAppointment: string;
  reason: string;
}

export interface ProcessControlView extends SlipCommon {
  form: 'process_control';
  receivedAt: string;
  appointmentDate: string;
  /** Each hand-over: from whom to whom, time in, time out, due time, result. */
  steps: Array<{ step: string; from: string; to: string; timeIn: string; timeOut: string | null; dueAt: string; result?: string }>;
}

export interface ResultView extends SlipCommon {
  form: 'result';
  documentKind: keyof typeof RESULT_TITLES;
  /** To whom the document is addressed (the investment registration agency, the investor). */
  recipients: string[];
  outcome: 'approved' | 'approved_with_conditions' | 'rejected';
  reasons: string[];
  conditions: string[];
  reviewers: string[];
}

export type SlipView = ReceiptView | SupplementationRequestView | RefusalView | ApologyView | ProcessControlView | ResultView;

/** What the service adds at issue time and the renderer prints. */
export interface SlipStamp {
  number: number;
  year: number;
  issuedAt: string;
  verificationCode: string;
}

export function numberLabel(form: SlipForm, number: number, year: number): string {
  return `${number}/${year}/${FORM_INFO[form].numberSuffix}`;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const isDateOrInstant = (v: unknown) => typeof v === 'string' && (DATE_RE.test(v) ? !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) : !Number.isNaN(Date.parse(v)) && /T/.test(v));
const filled = (v: unknown) => typeof v === 'string' && v.trim().length > 0;

/**
 * What would make a slip wrong on paper (pure): empty names, dates that do not parse, a
 * supplementation request without items or reasons, a refusal without reasons, an apology whose
 * new date is not later. The procedure builds views in code; this guards what it passes.
 */
export function slipViewErrors(view: SlipView): string[] {
  const errors: string[] = [];
  const need = (ok: boolean, message: string) => {
    if (!ok) errors.push(message);
  };
  need(filled(view.agency?.parent) && filled(view.agency?.name), 'agency.parent and agency.name are required');
  for (const k of ['place', 'projectCode', 'projectName', 'investor', 'procedure'] as const) need(filled(view[k]), `${k} is required`);
  need(filled(view.signer?.title) && filled(view.signer?.name), 'signer.title and signer.name are required');
  switch (view.form) {
    case 'receipt':
      need(isDateOrInstant(view.receivedAt), 'receivedAt must be an ISO instant');
      need(DATE_RE.test(view.appointmentDate) && isDateOrInstant(view.appointmentDate), 'appointmentDate must be YYYY-MM-DD');
      need(filled(view.receivedBy), 'receivedBy is required');
      break;
    case 'supplementation_request':
      need(isDateOrInstant(view.receivedAt), 'receivedAt must be an ISO instant');
      need(view.missing.length > 0, 'a supplementation request lists at least one missing item');
      view.missing.forEach((m, i) => need(filled(m.item) && filled(m.reason), `missing[${i}] needs the item and its reason`));
      break;
    case 'refusal':
      need(isDateOrInstant(view.receivedAt), 'receivedAt must be an ISO instant');
      need(view.reasons.length > 0 && view.reasons.every(filled), 'a refusal gives its reasons');
      break;
    case 'apology':
      need(isDateOrInstant(view.receivedAt), 'receivedAt must be an ISO instant');
      need(isDateOrInstant(view.originalAppointment) && isDateOrInstant(view.newAppointment), 'originalAppointment and newAppointment must be dates');
      need(view.newAppointment > view.originalAppointment, 'the new appointment is later than the original one');
      need(filled(view.reason), 'an apology says why the result is late');
      break;
    case 'process_control':
      need(isDateOrInstant(view.receivedAt) && isDateOrInstant(view.appointmentDate), 'receivedAt and appointmentDate must be dates');
      need(view.steps.length > 0, 'a process-control slip has at least one hand-over');
      view.steps.forEach((s, i) =>
        need(filled(s.step) && filled(s.from) && filled(s.to) && isDateOrInstant(s.timeIn) && isDateOrInstant(s.dueAt) && (s.timeOut === null || isDateOrInstant(s.timeOut)), `steps[${i}] needs step, from, to, timeIn, dueAt (and timeOut or null)`),
      );
      break;
    case 'result':
      need(view.recipients.length > 0 && view.recipients.every(filled), 'the result is addressed to at least one recipient');
      need(view.reasons.length > 0 && view.reasons.every(filled), 'the result gives the reasons of the decision');
      need(view.outcome !== 'approved_with_conditions' || view.conditions.length > 0, 'an approval with conditions lists them');
      need(view.reviewers.length > 0, 'the result names who reviewed');
      break;
  }
  return errors;
}
