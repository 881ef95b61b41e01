/**
 * Which rule refused a command (403): a client must be able to tell "you lack the role" from
 * "you gave an opinion, so you may not decide" or "you declared a conflict". The order follows
 * the machine's permits (workflows/appraisal PERMITS): the first condition that fails is named.
 * Pure.
 */
import type { AppraisalEventType, Facts } from '../../../workflows/appraisal/appraisal.machine';

export type RefusalRule = 'read_only' | 'role' | 'ownership' | 'assignment' | 'conflict_of_interest' | 'independence' | 'separation_of_duties';

export interface Refusal {
  rule: RefusalRule;
  reason: string;
}

const OWNER_EVENTS: readonly string[] = ['SUBMIT', 'RESUBMIT', 'DECLARE_TECHNOLOGY', 'UPLOAD_DOCUMENT', 'WITHDRAW', 'REPORT_TECHNOLOGY_CHANGE'];
const CLERK_EVENTS: readonly string[] = ['COMPLETENESS', 'ASSIGN', 'ESCALATE_TO_COUNCIL'];

export function refusalOf(type: AppraisalEventType, facts: Facts): Refusal {
  const a = facts.actor;
  const has = (r: string) => a.roles.includes(r as never);
  if (has('auditor')) return { rule: 'read_only', reason: 'auditors have read-only access' };
  if (OWNER_EVENTS.includes(type)) {
    if (!has('investor')) return { rule: 'role', reason: 'only the investor acts for the project' };
    return { rule: 'ownership', reason: "only the investor organisation that owns the project acts for it" };
  }
  if (CLERK_EVENTS.includes(type)) return { rule: 'role', reason: 'this is the clerk\'s step' };
  if (type === 'DECLARE_CONFLICT') {
    if (!has('appraiser')) return { rule: 'role', reason: 'only an appraiser declares a conflict of interest' };
    return { rule: 'assignment', reason: 'only an appraiser assigned to the current round declares a conflict' };
  }
  if (type === 'RECORD_OPINION') {
    if (!has('appraiser')) return { rule: 'role', reason: 'only an appraiser records an opinion' };
    if (a.hasConflict) return { rule: 'conflict_of_interest', reason: 'you declared a conflict of interest on this project' };
    if (a.isOwner || a.inInvestorOrg) return { rule: 'independence', reason: "you belong to the investor's organisation" };
    return { rule: 'assignment', reason: 'you are not assigned to the current round' };
  }
  if (type === 'DECIDE') {
    if (!has('approver')) return { rule: 'role', reason: 'only an approver decides' };
    if (a.hasRecordedOpinion) return { rule: 'separation_of_duties', reason: 'you gave an opinion on this project, so you may not decide it' };
    if (a.isOwner || a.inInvestorOrg) return { rule: 'independence', reason: "you belong to the investor's organisation" };
  }
  return { rule: 'role', reason: 'your roles do not allow this step' };
}
