/**
 * The rules that refuse a decision outcome, in the order POST /v1/projects/:id/decision applies
 * them: blocking findings (APPROVAL_BLOCKED), the opinions' conditions (CONDITIONS_APPLY /
 * CONDITIONS_REQUIRED), then the machine (state, who may decide, appraisal complete). The decide
 * command throws what these return; the approver's page shows, per outcome, the same refusal
 * before anyone posts. Pure.
 */
import { AppError, ConflictError, ForbiddenError, InvalidTransitionError, UnprocessableError, ValidationError } from '../../errors';
import { allowedActions, step, type Facts, type PersistedAppraisal } from '../../../workflows/appraisal/appraisal.machine';
import { refusalOf } from '../projects/refusal-rule';

export const DECISION_OUTCOMES = ['approved', 'approved_with_conditions', 'rejected'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

export interface BlockingFinding {
  id: string;
  ruleId: string;
  severity: string;
  evidence: string;
}

/** Approval is impossible while the latest screening holds prohibited or outdated findings. */
export function approvalBlockedError(
  state: string,
  outcome: DecisionOutcome,
  f: { prohibitedFindings: number; unresolvedOutdatedFindings: number },
  findings: readonly BlockingFinding[],
): ConflictError | null {
  if (state !== 'appraised' || outcome === 'rejected' || (f.prohibitedFindings === 0 && f.unresolvedOutdatedFindings === 0)) return null;
  const blocking = findings.filter((x) => x.severity === 'prohibited' || x.severity === 'outdated');
  return new ConflictError(
    f.prohibitedFindings > 0
      ? 'Approval is impossible: the project declares prohibited technology; it can only be rejected'
      : 'Approval is impossible while outdated findings are unresolved: request supplementation so the investor changes the declaration',
    'APPROVAL_BLOCKED',
    { kind: f.prohibitedFindings > 0 ? 'prohibited' : 'outdated', findings: blocking.map((x) => ({ id: x.id, ruleId: x.ruleId, severity: x.severity, evidence: x.evidence })) },
  );
}

/** The opinions' conditions carry into the decision: with any, plain approval is refused; approval with conditions needs one. */
export function conditionsError(outcome: DecisionOutcome, conditions: readonly string[]): AppError | null {
  if (outcome === 'approved' && conditions.length > 0) return new UnprocessableError('The opinions attach conditions: decide approved_with_conditions', 'CONDITIONS_APPLY', { conditions });
  if (outcome === 'approved_with_conditions' && conditions.length === 0) return new ValidationError('approved_with_conditions needs at least one condition', {}, 'CONDITIONS_REQUIRED');
  return null;
}

/** What the machine says to DECIDE with this outcome: null when it would accept it, else the error the command would answer. */
export function machineDecisionError(snapshot: PersistedAppraisal, state: string, outcome: DecisionOutcome, facts: Facts): AppError | null {
  const event = { type: 'DECIDE' as const, outcome, facts };
  const result = step(snapshot, event);
  if (result.ok) return null;
  const allowed = allowedActions(snapshot, facts);
  if (result.reason === 'not_permitted') {
    const refusal = refusalOf('DECIDE', facts);
    return new ForbiddenError(`You may not "decide" this project: ${refusal.reason}`, 'NOT_PERMITTED', { rule: refusal.rule, state, allowedActions: allowed });
  }
  if (result.reason === 'state') return new InvalidTransitionError('decide', state, allowed);
  // The guards canApprove / canReject: a complete appraisal, and no blocking finding to approve.
  const detail =
    facts.appraisalComplete !== true
      ? 'the appraisal of the current round is not complete (every required opinion present and current)'
      : 'blocking findings (prohibited or outdated technology) remain';
  const precondition = facts.appraisalComplete !== true ? 'appraisal_incomplete' : 'blocking_findings';
  return new AppError(409, 'INVALID_TRANSITION', `"decide" is not allowed in state "${state}": ${detail}`, { state, allowedActions: allowed, precondition });
}

export interface OutcomeOption {
  outcome: DecisionOutcome;
  /** The error the decide command would answer for this outcome whatever the form says; null when it may be chosen. */
  refusal: AppError | null;
}

/**
 * Per outcome, the first rule that refuses it before any form input matters. "Approved with
 * conditions" is open when the approver may write the conditions (CONDITIONS_REQUIRED depends on
 * the form, so it is the form's error, not a refusal).
 */
export function decisionOutcomeOptions(args: {
  snapshot: PersistedAppraisal;
  state: string;
  facts: Facts;
  findings: readonly BlockingFinding[];
  opinionConditions: readonly string[];
}): OutcomeOption[] {
  const f = { prohibitedFindings: args.facts.prohibitedFindings ?? 0, unresolvedOutdatedFindings: args.facts.unresolvedOutdatedFindings ?? 0 };
  return DECISION_OUTCOMES.map((outcome) => ({
    outcome,
    refusal:
      approvalBlockedError(args.state, outcome, f, args.findings) ??
      (outcome === 'approved' ? conditionsError(outcome, args.opinionConditions) : null) ??
      machineDecisionError(args.snapshot, args.state, outcome, args.facts),
  }));
}
