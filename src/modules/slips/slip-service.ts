/**
 * Issuing, listing, serving and verifying slips.
 *
 * Verification (docs/clock.md "Slips"): the printed code is derived from the SHA-256 of the slip's
 * canonical content (RFC 8785 JSON of form, number, year, issue time, project and view model), so
 * it can be printed inside the PDF it identifies. The file's own SHA-256 is stored too: checking a
 * file (POST /v1/slips/verify with the bytes, or GET …?code=&sha256=) compares the file hash, so a
 * single changed byte fails. The code alone says which slip a paper copy claims to be.
 */
import { createHash, randomUUID } from 'node:crypto';
import { desc, eq, inArray, sql } from 'drizzle-orm';
import canonicalize from 'canonicalize';
import type { Db, Tx } from '../../infra/database';
import type { ObjectStorage } from '../../infra/object-storage';
import type { Principal } from '../../auth/token-verifier';
import { NotFoundError, UnprocessableError } from '../../errors';
import { projects, slips } from '../../../db/schema';
import { appendAuditEvent } from '../audit/audit-writer';
import { loadVisibleProject } from '../projects/project-access';
import { vietnamDateOf } from '../calendar/calendar-types';
import { renderSlipPdf } from './slip-renderer';
import { FORM_INFO, SLIP_FORMS, numberLabel, slipViewErrors, type SlipForm, type SlipView } from './slip-views';

export interface SlipSummary {
  id: string;
  projectId: string;
  form: SlipForm;
  formLabel: string | null;
  number: number;
  numberLabel: string;
  year: number;
  issuedAt: string;
  issuedBy: string;
  sha256: string;
  contentSha256: string;
  verificationCode: string;
  sizeBytes: number;
  correctsSlipId: string | null;
}

export interface IssueSlipInput {
  projectId: string;
  form: SlipForm;
  view: SlipView;
  actor: Pick<Principal, 'sub' | 'roles' | 'org'>;
  requestId?: string | null;
  /** A correction names the slip it replaces (same project). */
  correctsSlipId?: string | null;
  /** The project's state, recorded as from/to of the slip.issued event (a slip changes no state). */
  state?: string;
}

// Crockford base32: no I, L, O, U, so a code read aloud or typed from paper is not misread.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_GROUPS = 4;
const CODE_GROUP_LEN = 5;

/** "XXXXX-XXXXX-XXXXX-XXXXX": the first 100 bits of the content hash. */
export function verificationCodeOf(contentSha256Hex: string): string {
  const bytes = Buffer.from(contentSha256Hex, 'hex');
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  const chars: string[] = [];
  for (let i = 0; i < CODE_GROUPS * CODE_GROUP_LEN; i++) chars.push(CROCKFORD[parseInt(bits.slice(i * 5, i * 5 + 5), 2)]!);
  const groups: string[] = [];
  for (let g = 0; g < CODE_GROUPS; g++) groups.push(chars.slice(g * CODE_GROUP_LEN, (g + 1) * CODE_GROUP_LEN).join(''));
  return groups.join('-');
}

/** A code as typed: case, spaces and Crockford's look-alikes (O→0, I/L→1) forgiven. */
export function normaliseCode(input: string): string {
  const plain = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const groups = plain.match(new RegExp(`.{1,${CODE_GROUP_LEN}}`, 'g')) ?? [];
  return groups.join('-');
}

export const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

type SlipRow = typeof slips.$inferSelect;
const toSummary = (r: SlipRow): SlipSummary => ({
  id: r.id,
  projectId: r.projectId,
  form: r.form as SlipForm,
  formLabel: FORM_INFO[r.form as SlipForm].formLabel,
  number: r.number,
  numberLabel: numberLabel(r.form as SlipForm, r.number, r.year),
  year: r.year,
  issuedAt: r.issuedAt.toISOString(),
  issuedBy: r.issuedBy,
  sha256: r.sha256,
  contentSha256: r.contentSha256,
  verificationCode: r.verificationCode,
  sizeBytes: r.sizeBytes,
  correctsSlipId: r.correctsSlipId,
});

export interface VerifyResult {
  known: boolean;
  /** When a file or its sha256 was given: whether it is byte for byte the issued file. */
  fileMatches?: boolean;
  slip?: { form: SlipForm; formLabel: string | null; numberLabel: string; issuedAt: string; projectCode: string; sha256: string; verificationCode: string };
}

export function createSlipService(deps: { db: Db; storage: ObjectStorage; clock: () => Date }) {
  const { db, storage, clock } = deps;

  /**
   * Issue a slip inside the caller's transaction (the command that produced it): number it,
   * render it, store the PDF as a new object, record the row and an audit event in the project's
   * chain. If the transaction rolls back, the object stays unreferenced (no row names it): it is
   * never served, and sweepOrphanObjects removes it later.
   */
  async function issueSlip(tx: Tx, input: IssueSlipInput): Promise<SlipSummary> {
    if (!(SLIP_FORMS as readonly string[]).includes(input.form) || input.view.form !== input.form) {
      throw new UnprocessableError(`The view is for "${input.view.form}", not the form "${input.form}"`, 'SLIP_VIEW_MISMATCH');
    }
    const viewErrors = slipViewErrors(input.view);
    if (viewErrors.length) throw new UnprocessableError(`The ${input.form} slip is not complete: ${viewErrors[0]}`, 'SLIP_VIEW_INVALID', { errors: viewErrors });
    const [project] = await tx.select({ id: projects.id, code: projects.code }).from(projects).where(eq(projects.id, input.projectId));
    if (!project) throw new NotFoundError('Project');
    if (input.view.projectCode !== project.code) {
      throw new UnprocessableError(`The view names dossier ${input.view.projectCode}, the project is ${project.code}`, 'SLIP_VIEW_MISMATCH');
    }
    const issuedAt = new Date(Math.floor(clock().getTime()));
    const year = Number(vietnamDateOf(issuedAt).slice(0, 4));
    const [counter] = (await tx.execute(sql`
      insert into slip_counters (form, year, last_number) values (${input.form}, ${year}, 1)
      on conflict (form, year) do update set last_number = slip_counters.last_number + 1
      returning last_number
    `)) as unknown as Array<{ last_number: number }>;
    const number = counter!.last_number;
    const id = randomUUID();
    const canonical = canonicalize({ form: input.form, number, year, issuedAt: issuedAt.toISOString(), projectId: input.projectId, view: input.view })!;
    const contentSha256 = sha256Hex(canonical);
    const verificationCode = verificationCodeOf(contentSha256);
    const pdf = await renderSlipPdf(input.view, { number, year, issuedAt: issuedAt.toISOString(), verificationCode });
    const sha256 = sha256Hex(pdf);
    const objectKey = `slips/${year}/${input.form}/${id}.pdf`;
    await storage.client.putObject(storage.bucket, objectKey, pdf, pdf.length, { 'Content-Type': 'application/pdf' });
    const [row] = await tx
      .insert(slips)
      .values({
        id,
        projectId: input.projectId,
        form: input.form,
        year,
        number,
        objectKey,
        sha256,
        contentSha256,
        verificationCode,
        sizeBytes: pdf.length,
        view: input.view,
        correctsSlipId: input.correctsSlipId ?? null,
        issuedBy: input.actor.sub,
        issuedAt,
      })
      .returning();
    await appendAuditEvent(tx, {
      actor: input.actor,
      action: 'slip.issued',
      projectId: input.projectId,
      ...(input.state ? { fromState: input.state, toState: input.state } : {}),
      requestId: input.requestId ?? null,
      payload: { slipId: id, form: input.form, number: numberLabel(input.form, number, year), sha256, contentSha256, verificationCode, correctsSlipId: input.correctsSlipId ?? null },
      at: issuedAt,
    });
    return toSummary(row!);
  }

  async function list(principal: Principal, projectId: string): Promise<SlipSummary[]> {
    await loadVisibleProject(db, principal, projectId);
    const rows = await db.select().from(slips).where(eq(slips.projectId, projectId)).orderBy(desc(slips.issuedAt), desc(slips.number));
    return rows.map(toSummary);
  }

  async function content(principal: Principal, slipId: string) {
    const [row] = await db.select().from(slips).where(eq(slips.id, slipId));
    if (!row) throw new NotFoundError('Slip');
    await loadVisibleProject(db, principal, row.projectId); // 404 when the project is not visible
    const stream = await storage.client.getObject(storage.bucket, row.objectKey);
    return { slip: toSummary(row), stream };
  }

  async function describe(row: SlipRow, fileSha256?: string): Promise<VerifyResult> {
    const [p] = await db.select({ code: projects.code }).from(projects).where(eq(projects.id, row.projectId));
    const s = toSummary(row);
    return {
      known: true,
      ...(fileSha256 !== undefined ? { fileMatches: fileSha256 === row.sha256 } : {}),
      slip: { form: s.form, formLabel: s.formLabel, numberLabel: s.numberLabel, issuedAt: s.issuedAt, projectCode: p!.code, sha256: s.sha256, verificationCode: s.verificationCode },
    };
  }

  /** Which slip a printed code names; with a sha256, whether a file is that slip byte for byte. */
  async function verifyCode(code: string, fileSha256?: string): Promise<VerifyResult> {
    const [row] = await db.select().from(slips).where(eq(slips.verificationCode, normaliseCode(code)));
    if (!row) return { known: false };
    return describe(row, fileSha256?.toLowerCase());
  }

  /** Whether these bytes are an issued slip (any change to a byte gives another hash: unknown). */
  async function verifyFile(bytes: Buffer): Promise<VerifyResult> {
    const sha = sha256Hex(bytes);
    const [row] = await db.select().from(slips).where(eq(slips.sha256, sha));
    if (!row) return { known: false };
    return describe(row, sha);
  }

  /**
   * Remove slip objects that no row names, older than `olderThanMs` (what an issue inside a
   * rolled-back transaction left). Issued slips are never touched: their rows name them. Checked
   * in batches, so any number of issued slips does not hide an orphan. Safe on several instances.
   */
  async function sweepOrphanObjects(olderThanMs = 60 * 60_000): Promise<number> {
    const cutoff = new Date(clock().getTime() - olderThanMs);
    let removed = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const known = new Set((await db.select({ k: slips.objectKey }).from(slips).where(inArray(slips.objectKey, batch))).map((r) => r.k));
      for (const name of batch) {
        if (known.has(name)) continue;
        await storage.client.removeObject(storage.bucket, name);
        removed++;
      }
      batch = [];
    };
    for await (const obj of storage.client.listObjectsV2(storage.bucket, 'slips/', true) as AsyncIterable<{ name?: string; lastModified?: Date }>) {
      if (obj.name && obj.lastModified && obj.lastModified < cutoff) batch.push(obj.name);
      if (batch.length >= 500) await flush();
    }
    await flush();
    return removed;
  }

  return { issueSlip, list, content, verifyCode, verifyFile, sweepOrphanObjects };
}

export type SlipService = ReturnType<typeof createSlipService>;
