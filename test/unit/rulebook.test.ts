import { describe, expect, it } from 'vitest';
import { RULEBOOK_2017 } from '../../src/modules/rulebook/rulebook-2017.seed';
import { RULEBOOK_2026 } from '../../src/modules/rulebook/rulebook-2026.seed';
import { isValidIsoDate, validateRulebook, type RulebookContent } from '../../src/modules/rulebook/rulebook.schema';

const copy = (rb: RulebookContent): RulebookContent => structuredClone(rb);

function errorsOf(content: unknown) {
  const r = validateRulebook(content);
  if (r.ok) throw new Error('expected the rulebook to be rejected');
  return r.errors;
}

/** Every citation string anywhere in a rulebook. */
function citations(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => citations(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (k === 'citation' && typeof x === 'string' ? out.push(x) : citations(x, out));
  return out;
}

describe.each([RULEBOOK_2017, RULEBOOK_2026])('shipped rulebook $version', (rb) => {
  it('passes validation and is returned as is', () => {
    const r = validateRulebook(rb);
    expect(r.ok ? [] : r.errors).toEqual([]);
    expect(r.ok && r.value).toBe(rb);
  });

  it('never cites Law 67/2014, and cites Art. 13 with its clause and point', () => {
    const all = citations(rb);
    expect(all.length).toBeGreaterThan(50);
    expect(all.filter((c) => /67\/2014/.test(c))).toEqual([]);
    // The old text cited "Art. 13.1(b)" for environmental risk; it is 13.2(b).
    expect(all.filter((c) => /13\.1\((a|b)\)/.test(c))).toEqual([]);
    expect(all.filter((c) => /Arts?\. 17, 20/.test(c))).toEqual([]);
  });

  it('keys used-machinery age exceptions by HS heading (4 or 6 digits, 15 or 20 years), not by sector', () => {
    const um = rb.usedMachinery;
    expect(um.age.maxAgeYears).toBe(10);
    expect(um.scope.hsChapters).toEqual([84, 85]);
    expect(um.ageExceptions.length).toBeGreaterThan(5);
    for (const x of um.ageExceptions) {
      expect(x.hsHeading).toMatch(/^\d{4}(\d{2})?$/);
      expect([15, 20]).toContain(x.maxAgeYears);
    }
    expect(um.ageExceptions.some((x) => x.hsHeading.length === 6)).toBe(true);
    expect(JSON.stringify(um)).not.toContain('sectorExceptions');
  });

  it('accepts QCVN, then TCVN and G7/Korean national standards, and names bare ISO/IEC/EN as not national', () => {
    const s = rb.usedMachinery.standards;
    expect(s.primary).toEqual(['QCVN']);
    expect(s.fallback).toEqual(expect.arrayContaining(['TCVN', 'ANSI', 'BS', 'DIN', 'NF', 'UNI', 'JIS', 'CSA', 'KS']));
    expect(s.fallback).not.toContain('ISO');
    expect(s.fallback).not.toContain('EN');
    expect(s.notNational).toEqual(['ISO', 'IEC', 'EN']);
    expect(rb.usedMachinery.lines).toMatchObject({ minRemainingCapacityPct: 85, maxConsumptionVsDesignPct: 115, minOecdFactories: 3 });
  });

  it('holds the time limits with step, unit, limit, citation and verification', () => {
    const byId = Object.fromEntries(rb.timeLimits.map((t) => [t.id, t]));
    expect(byId.policy_forward_dossier).toMatchObject({ step: 'forward_to_reviewer', unit: 'working_days', limit: 3, citation: 'Law 07/2017/QH14, Art. 17.3–17.6' });
    expect(byId.policy_opinion).toMatchObject({ step: 'opinion', unit: 'working_days', limit: 15, citation: 'Law 07/2017/QH14, Art. 17.7' });
    expect(byId.decision_forward_construction_authority).toMatchObject({ unit: 'working_days', limit: 5, appliesTo: { stage: 'investment_decision', capitalSource: ['state_budget'] } });
    expect([byId.decision_appraisal_group_a, byId.decision_appraisal_group_b, byId.decision_appraisal_group_c].map((t) => [t?.unit, t?.limit, t?.extension?.maxDays])).toEqual([
      ['calendar_days', 20, 20],
      ['calendar_days', 15, 15],
      ['calendar_days', 10, 10],
    ]);
    expect(byId.decision_appraisal_group_a?.extension?.requires).toContain('written notice with reasons');
  });

  it('routes by rules only, with a catch-all per stage and provincial practice labelled as such', () => {
    const rules = rb.routing.rules;
    const practice = rules.filter((r) => r.kind === 'provincial_practice');
    expect(practice.length).toBe(1);
    expect(practice.every((r) => !r.then.required && /practice/i.test(r.citation))).toBe(true);
    // No "group A ⇒ council" rule: councils only where the National Assembly decides or for national key projects.
    for (const r of rules.filter((x) => x.then.council)) expect(r.when.decidingLevel ?? r.when.group).toEqual(expect.arrayContaining([expect.stringMatching(/national_assembly|national_key/)]));
    expect(rules.find((r) => r.id === 'policy.public_investment')?.when).toEqual({ stage: ['investment_policy'], capitalSource: ['state_budget'] });
  });

  it('lists entries with field, Vietnamese wording, English name, aliases and citation; unverified ones say why', () => {
    const { prohibited, restricted } = rb.technologyLists;
    expect(prohibited.map((e) => e.wording)).toEqual(
      expect.arrayContaining([
        'Công nghệ sản xuất xi măng lò đứng',
        'Công nghệ sản xuất xi măng lò quay bằng phương pháp ướt',
        'Công nghệ điện phân dùng điện cực thủy ngân',
        'Công nghệ sử dụng thủy ngân trong khai thác vàng quy mô nhỏ',
        'Công nghệ sản xuất động cơ 2 kỳ dùng cho xe cơ giới',
        'Công nghệ sản xuất ôtô không đáp ứng công nghệ khí thải Euro 2',
        'Công nghệ in, sắp chữ bằng bản chì',
        'Công nghệ nhân bản vô tính phôi người',
        'Công nghệ điều chế chất ma túy',
      ]),
    );
    for (const e of [...prohibited, ...restricted]) {
      expect(e.field.length).toBeGreaterThan(2);
      expect(e.verified || (e.note ?? '').length > 10, e.id).toBe(true);
    }
    for (const e of prohibited) expect(e.citation).toContain('Art. 11');
    for (const e of restricted) expect(e.citation).toContain('Art. 10');
    expect(restricted.find((e) => e.id === 'small_ceramic_tile_plants')?.conditions).toEqual([expect.objectContaining({ figure: 'annual_capacity_m2', op: 'lt', value: 2_000_000 })]);
  });

  it('derives environmental risk from the LEP 2020 group: I and II carry risk, IV none', () => {
    expect(rb.environmentalGroups.map((g) => [g.group, g.risk])).toEqual([
      ['I', true],
      ['II', true],
      ['III', false],
      ['IV', false],
    ]);
  });

  it('labels council size, quorum and majority as local policy', () => {
    expect(rb.appraisal).toMatchObject({ basis: 'local_policy', verified: false, council: { quorumFraction: 2 / 3 } });
  });
});

describe('the two versions', () => {
  it('take effect on their legal dates: 2017 text from 2018-07-01, Law 115/2025 from 2026-04-01', () => {
    expect([RULEBOOK_2017.version, RULEBOOK_2017.effectiveFrom]).toEqual(['2017.2', '2018-07-01']);
    expect([RULEBOOK_2026.version, RULEBOOK_2026.effectiveFrom]).toEqual(['2026.1', '2026-04-01']);
  });

  it('cite the Investment Law in force by date: 61/2020 for 2017.2, 143/2025 for 2026.1', () => {
    const app = (rb: RulebookContent) => rb.dossierComponents.investment_policy.find((c) => c.id === 'investment_registration_application')!;
    expect(app(RULEBOOK_2017).citation).toContain('61/2020/QH14');
    expect(app(RULEBOOK_2026).citation).toContain('143/2025/QH15');
  });

  it('mark every 2026 routing rule as unverified with a note (the amended article text was not obtained)', () => {
    const law = RULEBOOK_2026.routing.rules.filter((r) => r.kind === 'law');
    expect(law.every((r) => r.verified === false && /Law 115\/2025/.test(r.note ?? ''))).toBe(true);
    expect(RULEBOOK_2017.routing.rules.every((r) => r.verified)).toBe(true);
  });

  it('2026 reviews only restricted technology or environmental risk at the policy stage', () => {
    const required = RULEBOOK_2026.routing.rules.filter((r) => r.kind === 'law' && r.then.required && r.when.stage?.includes('investment_policy'));
    expect(required.every((r) => r.when.restrictedTechnology === true || r.when.environmentalRisk === true)).toBe(true);
  });

  it('cite 19.1(g) for high-tech criteria, applied in high-tech zones, and 19.2(c) as materials and fuel', () => {
    const hi = RULEBOOK_2017.criteria.investment_policy.find((c) => c.id === 'high_tech_criteria');
    expect(hi).toMatchObject({ appliesWhen: 'high_tech_zone', citation: 'Law 07/2017/QH14, Art. 19.1(g)' });
    const c = RULEBOOK_2017.criteria.investment_decision.find((x) => x.citation.endsWith('19.2(c)'));
    expect(c?.title).toBe('Raw materials, fuel and materials');
  });
});

describe('validateRulebook', () => {
  it('rejects non-objects with a root error', () => {
    expect(errorsOf(null)[0]?.path).toBe('(root)');
    expect(errorsOf([]).length).toBeGreaterThan(0);
  });

  it('rejects an unverified entry without a note, pointing at it', () => {
    const rb = copy(RULEBOOK_2017);
    rb.usedMachinery.ageExceptions[0]!.note = undefined;
    delete rb.usedMachinery.ageExceptions[0]!.note;
    expect(errorsOf(rb)).toEqual([{ path: 'usedMachinery.ageExceptions[0].note', message: 'an unverified entry must carry a note saying what to confirm' }]);
  });

  it('rejects Law 67/2014 as a citation of a component', () => {
    const rb = copy(RULEBOOK_2017);
    rb.dossierComponents.investment_policy[0]!.citation = 'Law 67/2014/QH13, Art. 33';
    expect(errorsOf(rb).map((e) => e.path)).toEqual(['dossierComponents.investment_policy[0].citation']);
  });

  it('rejects a rulebook without a catch-all routing rule for a stage', () => {
    const rb = copy(RULEBOOK_2017);
    rb.routing.rules = rb.routing.rules.filter((r) => r.id !== 'policy.not_required');
    expect(errorsOf(rb).map((e) => e.message)).toEqual([expect.stringContaining('no catch-all law rule for stage investment_policy')]);
  });

  it('rejects provincial practice marked as required by law, and a required review without a form', () => {
    const rb = copy(RULEBOOK_2017);
    const p = rb.routing.rules.find((r) => r.kind === 'provincial_practice')!;
    p.then.required = true;
    const r0 = rb.routing.rules[2]!;
    r0.then.form = 'none';
    expect(errorsOf(rb).map((e) => e.path).sort()).toEqual([`routing.rules[${rb.routing.rules.indexOf(p)}].then.required`, 'routing.rules[2].then.form'].sort());
  });

  it('rejects an HS heading listed twice or outside the chapters in scope', () => {
    const rb = copy(RULEBOOK_2017);
    rb.usedMachinery.ageExceptions.push({ ...rb.usedMachinery.ageExceptions[0]! });
    rb.usedMachinery.ageExceptions.push({ ...rb.usedMachinery.ageExceptions[0]!, hsHeading: '9018' });
    const paths = errorsOf(rb).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining([`usedMachinery.ageExceptions[${rb.usedMachinery.ageExceptions.length - 2}].hsHeading`, `usedMachinery.ageExceptions[${rb.usedMachinery.ageExceptions.length - 1}].hsHeading`]));
  });

  it('rejects ISO as both a national and a not-national standard', () => {
    const rb = copy(RULEBOOK_2017);
    rb.usedMachinery.standards.fallback.push('ISO');
    expect(errorsOf(rb).map((e) => e.path)).toEqual(['usedMachinery.standards.notNational[0]']);
  });

  it('rejects a list entry id used in two lists, and an alias that would match any text', () => {
    const rb = copy(RULEBOOK_2017);
    rb.technologyLists.restricted.push({ ...rb.technologyLists.prohibited[0]! });
    rb.technologyLists.prohibited[1]!.aliases.push('—');
    const paths = errorsOf(rb).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining([`technologyLists.restricted[${rb.technologyLists.restricted.length - 1}].id`, `technologyLists.prohibited[1].aliases[${rb.technologyLists.prohibited[1]!.aliases.length - 1}]`]));
  });

  it('rejects bad dates, unknown properties and out-of-range limits', () => {
    const rb = copy(RULEBOOK_2017) as RulebookContent & { extra?: number };
    rb.effectiveFrom = '2026-02-30';
    expect(errorsOf(rb).map((e) => e.path)).toEqual(['effectiveFrom']);
    const rb2 = copy(RULEBOOK_2017) as unknown as Record<string, unknown>;
    rb2.extra = 1;
    expect(errorsOf(rb2).length).toBeGreaterThan(0);
    const rb3 = copy(RULEBOOK_2017);
    rb3.timeLimits[0]!.limit = 0;
    rb3.usedMachinery.age.maxAgeYears = 0;
    expect(errorsOf(rb3).map((e) => e.path).sort()).toEqual(['timeLimits[0].limit', 'usedMachinery.age.maxAgeYears']);
  });

  it('knows leap years and does not mutate its input', () => {
    expect([isValidIsoDate('2024-02-29'), isValidIsoDate('2026-02-29'), isValidIsoDate('2100-02-29'), isValidIsoDate('2000-02-29')]).toEqual([true, false, false, true]);
    const rb = copy(RULEBOOK_2026);
    validateRulebook(rb);
    expect(rb).toEqual(RULEBOOK_2026);
  });
});
