import { describe, expect, it } from 'vitest';
import { RULEBOOK_2017 } from '../../src/modules/rulebook/rulebook-2017.seed';
import { isValidIsoDate, validateRulebook, type RulebookContent } from '../../src/modules/rulebook/rulebook.schema';

/** A mutable deep copy of the seed, for breaking one thing at a time. */
const seed = (): RulebookContent => structuredClone(RULEBOOK_2017);

function errorsOf(content: unknown) {
  const r = validateRulebook(content);
  if (r.ok) throw new Error('expected the rulebook to be rejected');
  return r.errors;
}

describe('RULEBOOK_2017 seed', () => {
  it('passes validation and is returned as is', () => {
    const r = validateRulebook(RULEBOOK_2017);
    expect(r.ok ? [] : r.errors).toEqual([]);
    expect(r.ok && r.value).toBe(RULEBOOK_2017);
  });

  it('carries version, effective date and sources', () => {
    expect(RULEBOOK_2017.version).toBe('2017.1');
    // Law 07/2017/QH14 was passed on 19 June 2017 and took effect on 1 July 2018.
    expect(RULEBOOK_2017.effectiveFrom).toBe('2018-07-01');
    expect(RULEBOOK_2017.sources.map((s) => s.id)).toEqual(
      expect.arrayContaining(['law_07_2017', 'decree_76_2018', 'decision_18_2019', 'decree_31_2021']),
    );
  });

  it('holds every example list entry of the legal basis, each with a citation and aliases in both languages', () => {
    const { prohibited, restricted, encouraged } = RULEBOOK_2017.technologyLists;
    expect(prohibited.map((e) => e.id)).toEqual([
      'vertical_kiln_cement',
      'wet_process_rotary_kiln_cement',
      'mercury_electrode_electrolysis',
      'mercury_small_scale_gold_mining',
      'two_stroke_engines_motor_vehicles',
      'cars_below_euro_2',
      'lead_type_printing',
      'human_reproductive_cloning',
      'pentachlorophenol_wood_preservatives',
    ]);
    expect(restricted.map((e) => e.id)).toEqual([
      'industrial_explosives_production',
      'chrysotile_asbestos_building_materials',
      'tio2_sulphuric_acid_process',
      'toxic_chemicals_aquaculture_seafood',
    ]);
    expect(encouraged).toHaveLength(6);
    for (const e of [...prohibited, ...restricted, ...encouraged]) {
      expect(e.citation.trim().length, e.id).toBeGreaterThan(10);
      expect(e.aliases.some((a) => /[\u00C0-\u1EF9]/.test(a)), `${e.id} has a Vietnamese alias`).toBe(true);
      expect(e.aliases.some((a) => /^[\x20-\x7E]+$/.test(a)), `${e.id} has an English alias`).toBe(true);
    }
    for (const e of prohibited) expect(e.citation).toContain('Art. 11');
    for (const e of restricted) expect(e.citation).toContain('Art. 10');
    expect(prohibited[0]?.aliases).toEqual(expect.arrayContaining(['xi măng lò đứng', 'vertical shaft kiln cement', 'VSK cement']));
  });

  it('holds the used-machinery thresholds of Decision 18/2019 and Decree 31/2021', () => {
    const um = RULEBOOK_2017.usedMachinery;
    expect(um.maxAgeYears).toBe(10);
    expect(um.minRemainingCapacityPct).toBe(85);
    expect(um.maxConsumptionVsDesignPct).toBe(115);
    expect(um.hsChaptersAgeRule).toEqual([84, 85]);
    expect(um.hsAgeRuleMaxYears).toBe(10);
    expect(um.sectorExceptions.map((x) => [x.sectors, x.maxAgeYears])).toEqual([
      [['mechanical_engineering', 'wood_processing'], 15],
      [['pulp_paper'], 20],
    ]);
    expect(um.acceptedStandards.primary).toEqual(['QCVN']);
    expect(um.acceptedStandards.fallback).toEqual(
      expect.arrayContaining(['TCVN', 'ANSI', 'ASTM', 'UL', 'DIN', 'JIS', 'BS', 'NF', 'UNI', 'CSA', 'KS']),
    );
    expect(um.citation).toBe('Decision 18/2019/QĐ-TTg, Art. 6.1');
    expect(um.hsAgeRuleCitation).toBe('Decree 31/2021/NĐ-CP, Art. 27');
  });

  it('lists the Art. 16 dossier components per stage, with "if any" items optional', () => {
    const policy = RULEBOOK_2017.dossierComponents.investment_policy;
    expect(policy.map((c) => [c.id, c.required, c.requiredWhen ?? null])).toEqual([
      ['investment_registration_application', true, null],
      ['technology_option_analysis', true, null],
      ['technology_name_origin_process', true, null],
      ['machinery_list', true, null],
      ['proof_of_proven_technology', false, null],
      ['training_support_plan', false, null],
      ['technology_use_conditions', true, null],
      ['environmental_impact_preliminary', false, 'environmental_risk'],
      ['draft_transfer_contract', false, 'technology_contributed_as_capital'],
    ]);
    expect(RULEBOOK_2017.dossierComponents.investment_decision.map((c) => c.id)).toEqual([
      'technology_name_origin_process',
      'machinery_list',
      'products_standards_quality',
      'raw_materials_supply',
      'training_programme',
      'technology_cost',
    ]);
    expect(RULEBOOK_2017.dossierComponents.investment_decision.every((c) => c.required && c.citation.endsWith('Art. 16.2'))).toBe(true);
  });

  it('lists the Art. 19 criteria per stage', () => {
    expect(RULEBOOK_2017.criteria.investment_policy).toHaveLength(7);
    expect(RULEBOOK_2017.criteria.investment_decision).toHaveLength(5);
    expect(RULEBOOK_2017.criteria.investment_decision[0]?.title).toContain('TCVN / QCVN');
  });

  it('holds the statutory time limits', () => {
    expect(RULEBOOK_2017.timeLimits.map((t) => [t.id, t.days, t.unit, t.appliesTo.group ?? null, t.extension?.maxDays ?? null])).toEqual([
      ['policy_forward_dossier', 3, 'working_days', null, null],
      ['policy_opinion', 15, 'working_days', null, null],
      ['decision_appraisal_group_a', 20, 'calendar_days', 'A', 20],
      ['decision_appraisal_group_b', 15, 'calendar_days', 'B', 15],
      ['decision_appraisal_group_c', 10, 'calendar_days', 'C', 10],
    ]);
  });

  it('stores the council quorum as exactly two thirds', () => {
    const c = RULEBOOK_2017.appraisal.council;
    expect(c.minMembers).toBe(5);
    expect(c.quorumFraction * 6).toBe(4); // 0.67 would have demanded 5 of 6
    expect(c.quorumFraction * 9).toBe(6);
    expect(c.majorityFraction).toBe(0.5);
    expect(RULEBOOK_2017.appraisal.opinion.minAppraisers).toBe(1);
  });
});

describe('validateRulebook', () => {
  it('rejects non-objects with a root error', () => {
    for (const bad of [null, 'rulebook', 42, []]) {
      const errors = errorsOf(bad);
      expect(errors[0]?.path).toBe('(root)');
    }
  });

  it('rejects a list entry id used in two lists, pointing at the duplicate', () => {
    const r = seed();
    r.technologyLists.restricted[1]!.id = 'vertical_kiln_cement';
    expect(errorsOf(r)).toEqual([
      {
        path: 'technologyLists.restricted[1].id',
        message: 'duplicate technology list entry id "vertical_kiln_cement" (first used at technologyLists.prohibited[0].id)',
      },
    ]);
  });

  it('rejects duplicate component ids within a stage but allows the same id at both stages', () => {
    const r = seed();
    r.dossierComponents.investment_decision[5]!.id = 'machinery_list';
    expect(errorsOf(r)).toEqual([
      {
        path: 'dossierComponents.investment_decision[5].id',
        message: 'duplicate component id "machinery_list" (first used at dossierComponents.investment_decision[1].id)',
      },
    ]);
  });

  it('rejects a criterion id used at both stages', () => {
    const r = seed();
    r.criteria.investment_decision[0]!.id = 'technology_option_suitability';
    expect(errorsOf(r).map((e) => e.path)).toEqual(['criteria.investment_decision[0].id']);
  });

  it('rejects duplicate sector codes, source ids and time-limit ids', () => {
    const r = seed();
    r.sectors.push({ code: 'cement', name: 'Cement again' });
    r.sources[1]!.id = 'law_07_2017';
    r.timeLimits[1]!.id = 'policy_forward_dossier';
    expect(errorsOf(r).map((e) => e.path)).toEqual(['sources[1].id', 'sectors[17].code', 'timeLimits[1].id']);
  });

  it('rejects a missing citation with a readable path', () => {
    const r = seed() as unknown as { technologyLists: { prohibited: Array<Record<string, unknown>> } };
    delete r.technologyLists.prohibited[2]!.citation;
    const errors = errorsOf(r);
    expect(errors).toContainEqual({ path: 'technologyLists.prohibited[2].citation', message: 'Expected required property' });
  });

  it('rejects empty and blank citations', () => {
    const r = seed();
    r.usedMachinery.sectorExceptions[0]!.citation = '';
    expect(errorsOf(r)).toContainEqual({
      path: 'usedMachinery.sectorExceptions[0].citation',
      message: 'Expected string length greater or equal to 1',
    });
    const r2 = seed();
    r2.criteria.investment_policy[3]!.citation = '   ';
    r2.timeLimits[0]!.citation = '\t';
    expect(errorsOf(r2)).toEqual([
      { path: 'criteria.investment_policy[3].citation', message: 'citation must not be blank' },
      { path: 'timeLimits[0].citation', message: 'citation must not be blank' },
    ]);
  });

  it.each([
    ['2017-02-30', 'effectiveFrom', '"2017-02-30" is not a valid YYYY-MM-DD date'],
    ['2017-13-01', 'effectiveFrom', '"2017-13-01" is not a valid YYYY-MM-DD date'],
    ['2018-00-10', 'effectiveFrom', '"2018-00-10" is not a valid YYYY-MM-DD date'],
  ])('rejects the impossible date %s', (date, path, message) => {
    const r = seed();
    r.effectiveFrom = date;
    expect(errorsOf(r)).toEqual([{ path, message }]);
  });

  it.each(['17-07-01', '2017/07/01', '2017-7-1', '2017-07-01T00:00:00Z'])('rejects the malformed date %s', (date) => {
    const r = seed();
    r.effectiveFrom = date;
    expect(errorsOf(r).map((e) => e.path)).toEqual(['effectiveFrom']);
  });

  it('knows leap years', () => {
    expect(isValidIsoDate('2024-02-29')).toBe(true);
    expect(isValidIsoDate('2023-02-29')).toBe(false);
    expect(isValidIsoDate('2000-02-29')).toBe(true);
    expect(isValidIsoDate('2100-02-29')).toBe(false);
  });

  it('rejects negative and out-of-range thresholds', () => {
    const r = seed();
    r.usedMachinery.maxAgeYears = -1;
    r.usedMachinery.minRemainingCapacityPct = 0;
    r.usedMachinery.maxConsumptionVsDesignPct = 250;
    r.usedMachinery.sectorExceptions[1]!.maxAgeYears = 60;
    r.timeLimits[2]!.days = 0;
    r.appraisal.council.quorumFraction = 1.5;
    r.appraisal.council.majorityFraction = 1;
    r.appraisal.opinion.minAppraisers = 0;
    expect(errorsOf(r)).toEqual([
      { path: 'usedMachinery.maxAgeYears', message: 'must be at least 1 and at most 50 (got -1)' },
      { path: 'usedMachinery.minRemainingCapacityPct', message: 'must be greater than 0 and at most 200 (got 0)' },
      { path: 'usedMachinery.maxConsumptionVsDesignPct', message: 'must be greater than 0 and at most 200 (got 250)' },
      { path: 'usedMachinery.sectorExceptions[1].maxAgeYears', message: 'must be at least 1 and at most 50 (got 60)' },
      { path: 'timeLimits[2].days', message: 'must be at least 1 and at most 365 (got 0)' },
      { path: 'appraisal.opinion.minAppraisers', message: 'must be at least 1 and at most 50 (got 0)' },
      { path: 'appraisal.council.quorumFraction', message: 'must be greater than 0 and at most 1 (got 1.5)' },
      { path: 'appraisal.council.majorityFraction', message: 'must be at least 0 and less than 1 (got 1)' },
    ]);
  });

  it('rejects a non-integer age', () => {
    const r = seed();
    r.usedMachinery.maxAgeYears = 10.5;
    expect(errorsOf(r)).toEqual([{ path: 'usedMachinery.maxAgeYears', message: 'Expected integer' }]);
  });

  it('rejects sector exceptions naming unknown sectors or a sector twice', () => {
    const r = seed();
    r.usedMachinery.sectorExceptions[0]!.sectors.push('shipbuilding');
    r.usedMachinery.sectorExceptions[1]!.sectors.push('wood_processing');
    expect(errorsOf(r)).toEqual([
      { path: 'usedMachinery.sectorExceptions[0].sectors[2]', message: 'unknown sector code "shipbuilding"' },
      {
        path: 'usedMachinery.sectorExceptions[1].sectors[1]',
        message: 'sector "wood_processing" already has an exception at usedMachinery.sectorExceptions[0]',
      },
    ]);
  });

  it('rejects an alias that would match any text', () => {
    const r = seed();
    r.technologyLists.prohibited[0]!.aliases.push(' — ');
    expect(errorsOf(r)).toEqual([
      { path: 'technologyLists.prohibited[0].aliases[9]', message: 'must contain letters or digits (it would match any text)' },
    ]);
  });

  it('rejects a component that is both always required and conditional', () => {
    const r = seed();
    r.dossierComponents.investment_policy[7]!.required = true;
    expect(errorsOf(r)).toEqual([
      {
        path: 'dossierComponents.investment_policy[7].requiredWhen',
        message: 'a component that is always required cannot also be conditional; set required to false',
      },
    ]);
  });

  it('rejects unknown properties, unknown conditions and a bad version', () => {
    const r = seed() as unknown as Record<string, unknown> & { usedMachinery: Record<string, unknown> };
    r.usedMachinery.maxAgeYear = 12; // typo of maxAgeYears
    r.version = 'v1';
    const errors = errorsOf(r);
    expect(errors.map((e) => e.path)).toEqual(expect.arrayContaining(['version', 'usedMachinery.maxAgeYear']));

    const r2 = seed() as unknown as { dossierComponents: { investment_policy: Array<Record<string, unknown>> } };
    r2.dossierComponents.investment_policy[8]!.requiredWhen = 'when_convenient';
    expect(errorsOf(r2).map((e) => e.path)).toContain('dossierComponents.investment_policy[8].requiredWhen');
  });

  it('does not mutate its input', () => {
    const r = seed();
    const before = JSON.stringify(r);
    validateRulebook(r);
    expect(JSON.stringify(r)).toBe(before);
  });
});
