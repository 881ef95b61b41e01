import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../workflows/appraisal/appraisal.diagram';

describe('docs/appraisal-machine.md', () => {
  it('is the diagram of the current machine (run `npm run diagram` after changing it)', () => {
    const committed = readFileSync(path.resolve(import.meta.dirname, '../../docs/appraisal-machine.md'), 'utf8');
    expect(committed).toBe(renderMarkdown());
  });
  it('shows every state and the guarded decision', () => {
    const md = renderMarkdown();
    for (const s of ['draft', 'screening', 'completeness_review', 'awaiting_supplement', 'under_appraisal', 'appraised', 'approved', 'rejected', 'withdrawn']) {
      expect(md).toContain(s);
    }
    expect(md).toContain('appraised --> approved: DECIDE [canApprove]');
    expect(md).toContain('approved --> awaiting_supplement: REPORT_TECHNOLOGY_CHANGE [permitted]');
  });
});
