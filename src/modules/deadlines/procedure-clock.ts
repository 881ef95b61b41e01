/**
 * What the procedure does to the clock and the paper, called by the project and appraisal
 * services at the END of a command's handler (after its last transition), in the command's
 * transaction:
 *   accepted complete      → open the round's deadlines (or resume paused ones), receipt (Mẫu 01)
 *   supplementation        → pause the open deadlines, supplementation request (Mẫu 02)
 *   appraisers assigned    → the forwarding step is done
 *   decision               → the opinion/appraisal step is done, process-control slip (Mẫu 05)
 *                            and the result document
 *   withdrawn              → every open deadline closes
 *
 * Slips are issued in the transaction, not in its aftermath (DESIGN.md says aftermath): the
 * slip's audit event must follow the transition in the project's chain, which is appended under
 * the project row lock this transaction holds; the receipt is handed over with the answer (its
 * appointment date is the deadline just opened); and nothing is ever half-done: a rolled-back
 * command leaves no slip row, only an unreferenced object that the slip-object sweeper removes.
 * The cost is the PDF rendering (tens of ms) inside the transaction.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { ProjectCommandContext } from '../projects/project-command';
import type { SlipService } from '../slips/slip-service';
import type { Rulebook } from '../rulebook/rulebook-service';
import { assignments, deadlines } from '../../../db/schema';
import { RESULT_STEPS, appointmentOf, type DeadlineRow, type DeadlineService } from './deadline-service';
import { ConflictError, ValidationError } from '../../errors';
import { deskOf, procedureName, stepHandOver } from './one-stop-desk';

export interface ProcedureClock {
  accepted(ctx: ProjectCommandContext, rulebook: Rulebook): Promise<void>;
  supplementRequested(ctx: ProjectCommandContext, rulebook: Rulebook, input: { missing?: string[]; note?: string; reasons?: Record<string, string> }): Promise<void>;
  assigned(ctx: ProjectCommandContext): Promise<void>;
  decided(ctx: ProjectCommandContext, input: { outcome: 'approved' | 'approved_with_conditions' | 'rejected'; reasons: string[]; conditions: string[] }): Promise<void>;
  withdrawn(ctx: ProjectCommandContext): Promise<void>;
  /** Extend a decision-stage period with its written notice (clerk or reviewer). */
  extend(ctx: ProjectCommandContext, rulebook: Rulebook, input: { step: string; days: number; notice: string }): Promise<void>;
  /** Issue the apology (Mẫu 04) with a new appointment date (default: the drafted proposal). */
  apologise(ctx: ProjectCommandContext, input: { step?: string; newAppointmentDate?: string; reason: string }): Promise<void>;
}

const summary = (r: DeadlineRow) => ({ id: r.id, step: r.step, round: r.round, status: r.status, dueAt: r.dueAt?.toISOString() ?? null, timeLimitId: r.timeLimitId, calendarVersion: r.calendarVersion, closedAt: r.closedAt?.toISOString() ?? null });

export function createProcedureClock(deps: { deadlines: DeadlineService; slips: SlipService }): ProcedureClock {
  const d = deps.deadlines;

  const common = (ctx: ProjectCommandContext, signerTitle: string) => ({
    ...deskOf(),
    projectCode: ctx.project.code,
    projectName: ctx.project.name,
    investor: ctx.project.organisation,
    procedure: procedureName(ctx.project.stage),
    signer: { title: signerTitle, name: ctx.principal.sub },
  });

  async function receivedAt(ctx: ProjectCommandContext): Promise<string> {
    // The dossier was received when it was first submitted.
    const [row] = (await ctx.tx.execute(sql`
      select min(occurred_at) as at from audit_events where project_id = ${ctx.project.id} and action = 'project.submitted'
    `)) as unknown as Array<{ at: Date | string | null }>;
    return row?.at ? new Date(row.at).toISOString() : ctx.now.toISOString();
  }

  return {
    async accepted(ctx, rulebook) {
      const rows = await d.accepted(ctx.tx, ctx.project, rulebook, ctx.now);
      await ctx.record('deadlines.started', { deadlines: rows.map(summary) });
      const appointment = appointmentOf(rows.map((r) => d.toView(r, ctx.now)));
      if (!appointment) return; // no result step applies (no time limit in the rulebook): nothing to appoint
      await deps.slips.issueSlip(ctx.tx, {
        projectId: ctx.project.id,
        form: 'receipt',
        view: {
          form: 'receipt',
          ...common(ctx, 'Người tiếp nhận hồ sơ'),
          receivedAt: ctx.now.toISOString(),
          documents: rulebook.content.dossierComponents[ctx.project.stage as 'investment_policy'].filter((c) => c.required).map((c) => ({ name: c.titleVi ?? c.title })),
          appointmentDate: appointment,
          receivedBy: ctx.principal.sub,
        },
        actor: ctx.principal,
        requestId: ctx.meta.requestId,
        state: ctx.project.state,
      });
    },

    async supplementRequested(ctx, rulebook, input) {
      await d.paused(ctx.tx, ctx.project.id, ctx.now);
      const open = await d.openRows(ctx.tx, ctx.project.id);
      if (open.length > 0) await ctx.record('deadlines.paused', { deadlines: open.map(summary) });
      const components = rulebook.content.dossierComponents[ctx.project.stage as 'investment_policy'];
      const missing = (input.missing ?? []).map((code) => {
        const c = components.find((x) => x.id === code);
        return {
          item: c ? (c.titleVi ?? c.title) : code,
          reason: input.reasons?.[code] ?? input.note ?? `Thành phần hồ sơ bắt buộc chưa có hoặc chưa đạt yêu cầu (${c?.citation ?? 'danh mục hồ sơ'})`,
        };
      });
      // Only a note: the request is still one item, with the note as its reason.
      if (missing.length === 0 && input.note) missing.push({ item: 'Hồ sơ cần bổ sung, hoàn thiện', reason: input.note });
      await deps.slips.issueSlip(ctx.tx, {
        projectId: ctx.project.id,
        form: 'supplementation_request',
        view: { form: 'supplementation_request', ...common(ctx, 'Người tiếp nhận hồ sơ'), receivedAt: await receivedAt(ctx), missing },
        actor: ctx.principal,
        requestId: ctx.meta.requestId,
        state: ctx.project.state,
      });
    },

    async assigned(ctx) {
      const closed = await d.closed(ctx.tx, ctx.project.id, ['forward_to_reviewer'], ctx.now, 'appraisers.assigned');
      if (closed.length > 0) await ctx.record('deadlines.closed', { deadlines: closed.map(summary) });
    },

    async decided(ctx, input) {
      const closed = await d.closed(ctx.tx, ctx.project.id, 'all', ctx.now, 'decision.recorded');
      if (closed.length > 0) await ctx.record('deadlines.closed', { deadlines: closed.map(summary) });
      const { deadlines: views, appointmentDate } = await d.ofProject(ctx.tx, ctx.project, ctx.now);
      const rows = await ctx.tx.select().from(deadlines).where(and(eq(deadlines.projectId, ctx.project.id), eq(deadlines.round, ctx.project.round)));
      const reviewers = (
        await ctx.tx.select({ sub: assignments.appraiserSub }).from(assignments).where(and(eq(assignments.projectId, ctx.project.id), eq(assignments.round, ctx.project.round)))
      ).map((a) => a.sub);
      const receivedAtIso = await receivedAt(ctx);
      if (views.length > 0 && appointmentDate) {
        await deps.slips.issueSlip(ctx.tx, {
          projectId: ctx.project.id,
          form: 'process_control',
          view: {
            form: 'process_control',
            ...common(ctx, 'Người có thẩm quyền quyết định'),
            receivedAt: receivedAtIso,
            appointmentDate,
            steps: rows.map((r) => ({
              ...stepHandOver(r.step),
              timeIn: r.startedAt.toISOString(),
              timeOut: r.closedAt?.toISOString() ?? null,
              dueAt: (r.dueAt ?? ctx.now).toISOString(),
              result: r.status === 'met' ? 'Đúng hạn' : 'Quá hạn',
            })),
          },
          actor: ctx.principal,
          requestId: ctx.meta.requestId,
          state: ctx.project.state,
        });
      }
      await deps.slips.issueSlip(ctx.tx, {
        projectId: ctx.project.id,
        form: 'result',
        view: {
          form: 'result',
          ...common(ctx, 'Người có thẩm quyền quyết định'),
          documentKind: ctx.project.stage === 'investment_decision' ? 'appraisal_result' : 'technology_opinion',
          recipients: ['Cơ quan đăng ký đầu tư', ctx.project.organisation],
          outcome: input.outcome,
          reasons: input.reasons,
          conditions: input.conditions,
          reviewers: reviewers.length > 0 ? reviewers : [ctx.principal.sub],
        },
        actor: ctx.principal,
        requestId: ctx.meta.requestId,
        state: ctx.project.state,
      });
    },

    async extend(ctx, rulebook, input) {
      const row = await d.extend(ctx.tx, ctx.project.id, input.step, input.days, input.notice, ctx.principal.sub, rulebook.content.timeLimits, ctx.now);
      await ctx.record('deadline.extended', { deadline: summary(row), days: input.days, notice: input.notice, citation: row.citation });
      await ctx.notify({
        kind: 'deadline.extended',
        recipientRole: 'investor',
        recipientOrg: ctx.project.organisation,
        message: `Project ${ctx.project.code}: the ${row.step} period is extended by ${input.days} days (${row.citation}). Notice: ${input.notice}`,
      });
    },

    async apologise(ctx, input) {
      const open = (await d.openRows(ctx.tx, ctx.project.id)).filter((r) => (input.step ? r.step === input.step : RESULT_STEPS.has(r.step)));
      const row = open.at(-1);
      if (!row) throw new ConflictError('No open result step to apologise for: the apology is for a result that will be late', 'DEADLINE_NOT_OPEN');
      const view = d.toView(row, ctx.now);
      const original = view.rescheduledTo ?? view.dueDate;
      const newDate = input.newAppointmentDate ?? view.apologyDraft?.proposedDate;
      if (!newDate) throw new ValidationError('Give newAppointmentDate (no apology was drafted for this step yet)', {}, 'NEW_APPOINTMENT_REQUIRED');
      if (!original) throw new ConflictError('The clock is paused: there is no appointment to move', 'DEADLINE_PAUSED');
      if (newDate <= original) throw new ValidationError(`The new appointment must be after ${original}`, { original }, 'NEW_APPOINTMENT_NOT_LATER');
      await ctx.tx.update(deadlines).set({ rescheduledTo: newDate }).where(eq(deadlines.id, row.id));
      const slip = await deps.slips.issueSlip(ctx.tx, {
        projectId: ctx.project.id,
        form: 'apology',
        view: { form: 'apology', ...common(ctx, 'Người tiếp nhận hồ sơ'), receivedAt: await receivedAt(ctx), originalAppointment: original, newAppointment: newDate, reason: input.reason },
        actor: ctx.principal,
        requestId: ctx.meta.requestId,
        state: ctx.project.state,
      });
      await ctx.notify({ kind: 'apology.issued', recipientRole: 'investor', recipientOrg: ctx.project.organisation, message: `Project ${ctx.project.code}: the result is now expected on ${newDate} (apology ${slip.numberLabel})` });
    },

    async withdrawn(ctx) {
      const closed = await d.closed(ctx.tx, ctx.project.id, 'all', ctx.now, 'project.withdrawn');
      if (closed.length > 0) await ctx.record('deadlines.closed', { deadlines: closed.map(summary) });
    },
  };
}

