import type { FastifyInstance } from 'fastify';
import type { SlaBoard } from '../../modules/deadlines/sla-board';
import type { DeadlineView } from '../../modules/deadlines/deadline-service';
import { formatDate, type Locale, type MessageKey, type Translate } from '../i18n/translator';
import type { WebTools } from '../web-plugin';
import { slaBoardView, type DeadlineRowModel } from '../views/sla-board.view';
import { sessionPrincipal } from './page-input';

/**
 * The clerk's SLA board (/board): every open step of the open projects with its due date from
 * the deadlines table, overdue first (marked in words, not only in colour), paused clocks last.
 */
export interface SlaBoardPagesDeps {
  board: SlaBoard;
}

const TONES: Record<string, string> = { running: '', paused: 'tag--grey', met: 'tag--green', overdue: 'tag--red' };

/** "còn 3 ngày" / "hết hạn hôm nay" / "QUÁ HẠN 2 ngày" / "Tạm dừng": the time left in words. */
export function timeLeftText(t: Translate, deadline: Pick<DeadlineView, 'status'>, daysLeft: number | null): string {
  if (deadline.status === 'paused' || daysLeft === null) return t('board.paused');
  if (deadline.status === 'overdue') return t('board.daysOverdue', { days: Math.max(1, -daysLeft) });
  if (daysLeft === 0) return t('board.dueToday');
  return t('board.daysLeft', { days: daysLeft });
}

export function deadlineCells(t: Translate, locale: Locale, deadline: DeadlineView, daysLeft: number | null) {
  return {
    step: t(`step.${deadline.step}` as MessageKey),
    due: deadline.dueAt ? formatDate(locale, new Date(deadline.dueAt)) : t('board.pausedNoDue'),
    left: timeLeftText(t, deadline, daysLeft),
    status: t(`deadline.${deadline.status}` as MessageKey),
    tone: TONES[deadline.status] ?? '',
    overdue: deadline.status === 'overdue',
  };
}

export function registerSlaBoardPages(app: FastifyInstance, tools: WebTools, deps: SlaBoardPagesDeps) {

  app.get('/board', { config: { access: { session: ['clerk'], write: false } }, schema: { hide: true } }, async (request, reply) => {
    const ctx = tools.page(request, reply);
    const board = await deps.board.board(sessionPrincipal(request));
    const rows: DeadlineRowModel[] = board.rows.map((r) => ({
      href: `/projects/${r.project.id}`,
      code: r.project.code,
      name: r.project.name,
      ...deadlineCells(ctx.t, ctx.locale, r.deadline, r.daysLeft),
    }));
    return ctx.render(ctx.t('board.title'), slaBoardView({ t: ctx.t, rows, summary: ctx.t('board.summary', { total: rows.length, overdue: board.overdue, paused: board.paused }) }));
  });
}
