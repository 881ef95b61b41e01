/**
 * Rebuild a project's workflow state from its audit events, through the machine itself.
 * Pure: the caller passes the events. Each recorded transition must be one the machine can make
 * from the replayed state to the recorded target; anything else is reported as a disagreement.
 */
import {
  APPRAISAL_MACHINE_VERSION,
  initialPersisted,
  step,
  type AppraisalEvent,
  type AppraisalEventType,
  type Facts,
  type PersistedAppraisal,
  type ProjectState,
  type Role,
} from './appraisal.machine';

/** The audit action each machine event is recorded as (the services write these names). */
export const TRANSITION_ACTIONS: Record<string, AppraisalEventType> = {
  'project.submitted': 'SUBMIT',
  'screening.completed': 'SCREENING_COMPLETED',
  'completeness.confirmed': 'COMPLETENESS',
  'supplement.requested': 'COMPLETENESS',
  'project.resubmitted': 'RESUBMIT',
  'technology.declared': 'DECLARE_TECHNOLOGY',
  'document.uploaded': 'UPLOAD_DOCUMENT',
  'appraisers.assigned': 'ASSIGN',
  'appraisal.escalated': 'ESCALATE_TO_COUNCIL',
  'conflict.declared': 'DECLARE_CONFLICT',
  'opinion.recorded': 'RECORD_OPINION',
  'decision.recorded': 'DECIDE',
  'project.withdrawn': 'WITHDRAW',
  'technology_change.reported': 'REPORT_TECHNOLOGY_CHANGE',
};

export interface ReplayEvent {
  seq: number;
  action: string;
  fromState: string | null;
  toState: string | null;
  machineVersion?: number | null;
}

export interface ReplayProblem {
  seq: number;
  action: string;
  detail: string;
}

export interface ReplayResult {
  state: ProjectState | null;
  round: number;
  applied: number;
  consistent: boolean;
  problems: ReplayProblem[];
}

const ROLE_FOR: Partial<Record<AppraisalEventType, Role>> = {
  COMPLETENESS: 'clerk',
  ASSIGN: 'clerk',
  ESCALATE_TO_COUNCIL: 'clerk',
  RECORD_OPINION: 'appraiser',
  DECLARE_CONFLICT: 'appraiser',
  DECIDE: 'approver',
};

/**
 * The event as it must have been sent, with facts that satisfy the guards: the log records that
 * the guards held (the transition happened); the replay checks that the machine allows it.
 */
function eventFor(type: AppraisalEventType, to: string | null): AppraisalEvent {
  const role = ROLE_FOR[type] ?? 'investor';
  const facts: Facts = {
    actor: { roles: [role], isOwner: role === 'investor', isAssigned: role === 'appraiser', hasConflict: false, hasRecordedOpinion: false, inInvestorOrg: role === 'investor' },
    missingComponents: [],
    declarationPresent: true,
    appraisalComplete: type === 'RECORD_OPINION' ? to === 'appraised' : true,
    prohibitedFindings: 0,
    unresolvedOutdatedFindings: 0,
  };
  if (type === 'COMPLETENESS') return { type, result: to === 'under_appraisal' ? 'complete' : 'incomplete', facts };
  if (type === 'DECIDE') return { type, outcome: to === 'rejected' ? 'rejected' : 'approved', facts };
  return { type, facts } as AppraisalEvent;
}

export function replay(events: readonly ReplayEvent[]): ReplayResult {
  let current: PersistedAppraisal | null = null;
  let applied = 0;
  const problems: ReplayProblem[] = [];
  for (const e of events) {
    if (e.machineVersion != null && e.machineVersion !== APPRAISAL_MACHINE_VERSION) {
      problems.push({ seq: e.seq, action: e.action, detail: `recorded by machine v${e.machineVersion}; no migration to v${APPRAISAL_MACHINE_VERSION}` });
      continue;
    }
    if (e.action === 'project.created') {
      if (current) problems.push({ seq: e.seq, action: e.action, detail: 'a second creation event' });
      current = initialPersisted();
      if (e.toState !== current.state) problems.push({ seq: e.seq, action: e.action, detail: `created in "${e.toState}", the machine starts in "${current.state}"` });
      applied++;
      continue;
    }
    if (!current) {
      problems.push({ seq: e.seq, action: e.action, detail: 'event before the project was created' });
      continue;
    }
    if (e.fromState !== null && e.fromState !== current.state) {
      problems.push({ seq: e.seq, action: e.action, detail: `recorded from "${e.fromState}" but the replay is in "${current.state}"` });
    }
    const type = TRANSITION_ACTIONS[e.action];
    if (!type) {
      // Informational events (access.denied, appraisal.concluded, appraisal.reopened …) change no state.
      if (e.toState !== null && e.toState !== current.state) problems.push({ seq: e.seq, action: e.action, detail: `changes no state but records "${e.toState}"` });
      continue;
    }
    const result = step(current, eventFor(type, e.toState));
    if (!result.ok) {
      problems.push({ seq: e.seq, action: e.action, detail: `the machine does not allow ${type} in "${current.state}"` });
      continue;
    }
    if (result.next.state !== e.toState) {
      problems.push({ seq: e.seq, action: e.action, detail: `the machine goes to "${result.next.state}", the log records "${e.toState}"` });
    }
    current = result.next;
    applied++;
  }
  return { state: current?.state ?? null, round: current?.context.round ?? 0, applied, consistent: problems.length === 0, problems };
}

/** Whether one recorded (action, from, to) is a transition the machine can make: for checks over many projects at once. */
export function transitionAllowed(action: string, fromState: string | null, toState: string | null): boolean {
  const type = TRANSITION_ACTIONS[action];
  if (!type) return action === 'project.created' ? toState === 'draft' : fromState === toState;
  if (!fromState) return false;
  const result = step({ ...initialPersisted(), state: fromState as ProjectState }, eventFor(type, toState));
  return result.ok && result.next.state === toState;
}
