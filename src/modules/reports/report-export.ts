/**
 * The coverage and on-time reports as downloads: CSV for spreadsheets (UTF-8 byte-order mark,
 * RFC 4180 fields with the audit export's escaping, formula-like text defused) and NDJSON (the
 * report's own JSON, one record per line).
 */
import { csvField } from '../audit/audit-query';
import type { coverageReport } from './coverage-report';
import type { onTimeReport } from '../deadlines/on-time-report';

export type CoverageReport = Awaited<ReturnType<typeof coverageReport>>;
export type OnTimeReport = Awaited<ReturnType<typeof onTimeReport>>;
export type ReportFormat = 'csv' | 'ndjson';

const BOM = '\uFEFF';
const row = (cells: Array<string | number | null>) => cells.map(csvField).join(',') + '\r\n';

/** One row of counts; the violations (must be none) as a count and as their JSON. */
export function coverageCsv(r: CoverageReport): string {
  return (
    BOM +
    row(['from', 'to', 'submitted', 'decided', 'approved', 'rejected', 'appraised', 'coveragePercent', 'violationCount', 'violations']) +
    row([r.from, r.to, r.submitted, r.decided, r.approved, r.rejected, r.appraised, r.coveragePercent, r.violations.length, JSON.stringify(r.violations)])
  );
}

/** The summary first (`record: "coverage"`), then one line per violation (`record: "violation"`). */
export function coverageNdjson(r: CoverageReport): string {
  const { violations, ...summary } = r;
  return [{ record: 'coverage', ...summary, violationCount: violations.length }, ...violations.map((v) => ({ record: 'violation', ...v }))].map((x) => JSON.stringify(x) + '\n').join('');
}

const ON_TIME_COLUMNS = ['from', 'to', 'at', 'step', 'total', 'onTime', 'late', 'running', 'overdue', 'paused', 'withdrawn', 'onTimeRate'] as const;

function onTimeRecords(r: OnTimeReport) {
  return [...r.steps, { step: 'overall', ...r.overall }].map((s) => ({ from: r.from, to: r.to, at: r.at, ...s }));
}

/** One row per step, then `overall`. */
export function onTimeCsv(r: OnTimeReport): string {
  return BOM + row([...ON_TIME_COLUMNS]) + onTimeRecords(r).map((x) => row(ON_TIME_COLUMNS.map((c) => x[c]))).join('');
}

export function onTimeNdjson(r: OnTimeReport): string {
  return onTimeRecords(r).map((x) => JSON.stringify(x) + '\n').join('');
}

export const REPORT_EXPORT_TYPES: Record<ReportFormat, string> = { csv: 'text/csv; charset=utf-8; header=present', ndjson: 'application/x-ndjson; charset=utf-8' };
