/**
 * Renders the appraisal machine as a Mermaid state diagram, from the machine definition itself
 * (states, events, targets and guard names), so the picture cannot drift from the code.
 */
import { appraisalMachine, APPRAISAL_MACHINE_ID, APPRAISAL_MACHINE_VERSION } from './appraisal.machine';

interface TransitionLike {
  eventType: string;
  target?: ReadonlyArray<{ key: string }>;
  guard?: { type?: string } | string;
}

export function renderMermaid(): string {
  const root = appraisalMachine.root;
  const lines = ['stateDiagram-v2', `  [*] --> ${String(root.initial?.target?.[0]?.key ?? 'draft')}`];
  for (const node of Object.values(root.states)) {
    for (const [eventType, transitions] of node.transitions) {
      for (const t of transitions as unknown as TransitionLike[]) {
        const target = t.target?.[0]?.key ?? node.key;
        const guard = typeof t.guard === 'string' ? t.guard : t.guard?.type;
        lines.push(`  ${node.key} --> ${target}: ${eventType}${guard ? ` [${guard}]` : ''}`);
      }
    }
    if (node.type === 'final') lines.push(`  ${node.key} --> [*]`);
  }
  return lines.join('\n');
}

export function renderMarkdown(): string {
  return [
    `# Appraisal workflow (${APPRAISAL_MACHINE_ID} v${APPRAISAL_MACHINE_VERSION})`,
    '',
    'Generated from `workflows/appraisal/appraisal.machine.ts` by `npm run diagram`; do not edit by hand',
    '(a test fails when this file is out of date). Guards in brackets; every guard also checks the',
    "caller's role and relation to the project.",
    '',
    '```mermaid',
    renderMermaid(),
    '```',
    '',
  ].join('\n');
}
