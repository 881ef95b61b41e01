import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { appraiserBars, OTHER_ROLE_ACTIONS, type KnownPerson } from '../../src/modules/appraisal/assignment-rules';

const person = (over: Partial<KnownPerson> = {}): KnownPerson => ({ sub: 'ann', organisation: 'dost', roles: ['appraiser'], displayName: 'Ann', source: 'account', ...over });
const none = { conflictStatement: null, otherRoleActions: [] };

describe('appraiserBars (the rules of the assignment command and screen)', () => {
  it('bars nobody independent, unconflicted and uninvolved', () => {
    expect(appraiserBars(person(), { organisation: 'acme' }, none)).toEqual([]);
    // No organisation on the person: not the investor's.
    expect(appraiserBars(person({ organisation: null }), { organisation: 'acme' }, none)).toEqual([]);
  });

  it('gives every reason that applies, in the order the command checks them, each with its code', () => {
    const bars = appraiserBars(person({ roles: ['clerk'], organisation: 'acme' }), { organisation: 'acme' }, { conflictStatement: 'Tôi là cổ đông', otherRoleActions: ['completeness.confirmed'] });
    expect(bars.map((b) => b.code)).toEqual(['NOT_AN_APPRAISER', 'APPRAISER_NOT_INDEPENDENT', 'APPRAISER_CONFLICTED', 'APPRAISER_ACTED_IN_OTHER_ROLE']);
    expect(bars[2]!.statement).toBe('Tôi là cổ đông');
    expect(bars[3]!.actions).toEqual(['completeness.confirmed']);
    expect(bars[3]!.message).toContain('completeness.confirmed');
  });
  it("the database's separation-of-duties trigger bars exactly the command's other-role actions", () => {
    const migration = readFileSync(new URL('../../db/migrations/0023_assignment_other_role_bar.sql', import.meta.url), 'utf8');
    const list = /e\.action IN \(([^)]*)\)/.exec(migration)?.[1] ?? '';
    const actions = [...list.matchAll(/'([a-z._]+)'/g)].map((m) => m[1]);
    expect(actions.sort()).toEqual([...OTHER_ROLE_ACTIONS].sort());
  });
});
