/**
 * The period a report covers, from the two optional ISO-8601 instants a caller gives: `to`
 * defaults to now and `from` to a year before `to`. Shared by the report routes and the
 * auditor's reports page, so both answer for the same period.
 */
import { ValidationError } from '../../errors';

export const DEFAULT_REPORT_DAYS = 365;

export function reportPeriod(query: { from?: string; to?: string }, now: Date): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_REPORT_DAYS * 86400_000);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new ValidationError('from and to must be ISO-8601 date-times', {}, 'INVALID_PERIOD');
  return { from, to };
}
