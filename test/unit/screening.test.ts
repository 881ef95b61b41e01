import { describe, expect, it } from 'vitest';
import { RULEBOOK_2017 } from '../../src/modules/rulebook/rulebook-2017.seed';
import { RULEBOOK_2026 } from '../../src/modules/rulebook/rulebook-2026.seed';
import type { RulebookContent } from '../../src/modules/rulebook/rulebook.schema';
import { ageLimitFor, appraisalRoute, environmentalRiskOf, requiredComponents, screen, type Finding, type ScreeningSubject, type TechnologyDeclaration } from '../../src/modules/screening/screening';
import { matchListEntry, normalise, tokenize } from '../../src/modules/screening/text-match';

const rb = RULEBOOK_2026;
const entry = (id: string) => [...rb.technologyLists.prohibited, ...rb.technologyLists.restricted, ...rb.technologyLists.encouraged].find((e) => e.id === id)!;
const subject = (over: Partial<ScreeningSubject> = {}): ScreeningSubject => ({
  stage: 'investment_policy',
  sector: 'cement',
  group: 'B',
  capitalSource: 'private',
  decidingLevel: 'provincial_peoples_committee',
  environmentalGroup: 'III',
  ...over,
});
type Machine = TechnologyDeclaration['machinery'][number];
const machine = (over: Partial<Machine> = {}): Machine => ({ name: 'Press', hsCode: '8462.11', manufactureYear: 2020, condition: 'used', standards: ['QCVN 01:2008/BLĐTBXH'], evidenceDocument: 'inspection_certificate', ...over });
const run = (decl: Partial<TechnologyDeclaration>, over: Partial<ScreeningSubject> = {}, year = 2026, book: RulebookContent = rb) =>
  screen({ subject: subject(over), declaration: { technologies: [], machinery: [], ...decl }, rulebook: book, year });
const of = (fs: Finding[], ruleId: string) => fs.filter((f) => f.ruleId === ruleId);

describe('normalise / tokenize', () => {
  it('removes diacritics and punctuation, maps number words and joins "ô tô"', () => {
    expect(normalise('Xi măng lò-đứng!')).toBe('xi mang lo dung');
    expect(tokenize('động cơ hai kỳ')).toEqual(tokenize('dong co 2 ky'));
    expect(tokenize('two-stroke')).toEqual(['2', 'stroke']);
    expect(tokenize('ô tô')).toEqual(tokenize('ôtô'));
    expect(tokenize('Euro II')).toEqual(tokenize('euro2'));
  });
  it('never throws on odd input', () => {
    expect(tokenize(undefined as unknown as string)).toEqual([]);
    expect(matchListEntry(42 as unknown as string, entry('vertical_kiln_cement')).matched).toBe(false);
  });
});

describe('matchListEntry', () => {
  it.each([
    ['Công nghệ sản xuất ôtô không đáp ứng công nghệ khí thải Euro 2', 'cars_below_euro_2'],
    ['san xuat o to khong dap ung khi thai Euro II', 'cars_below_euro_2'],
    ['Sản xuất xe máy động cơ hai kỳ', 'two_stroke_engines_motor_vehicles'],
    ['Điện phân bằng điện cực thủy ngân', 'mercury_electrode_electrolysis'],
    ['Cement, vertical kiln', 'vertical_kiln_cement'],
  ])('matches %s', (text, id) => expect(matchListEntry(text, entry(id)).matched).toBe(true));

  it('quotes the words matched as the investor wrote them', () => {
    expect(matchListEntry('Nhà máy xi măng lò đứng Hà Nam', entry('vertical_kiln_cement'))).toMatchObject({ matched: true, words: 'xi măng lò đứng', alias: 'Công nghệ sản xuất xi măng lò đứng' });
  });

  it.each([
    'Tháo dỡ tấm lợp amiăng',
    'Removal of asbestos cement roofing sheets',
    'Chuyển đổi dây chuyền xi măng lò đứng sang lò quay khô',
    'Converting a vertical kiln cement plant to a dry rotary kiln',
    'Sản xuất tấm lợp không amiăng',
    'Replacing wet-process rotary kiln cement with the dry process',
  ])('does not flag a project that removes, converts or avoids the technology: %s', (text) => {
    for (const e of [...rb.technologyLists.prohibited, ...rb.technologyLists.restricted]) expect(matchListEntry(text, e).matched, e.id).toBe(false);
  });
});

describe('screen: lists', () => {
  it('quotes the entry, the words matched and the article, with the verification note', () => {
    const [f] = run({ technologies: [{ name: 'Nha may xi mang lo dung', origin: 'VN' }] });
    expect(f).toMatchObject({ ruleId: 'tech.prohibited_list', severity: 'prohibited', verified: false, ref: { listEntryId: 'vertical_kiln_cement', entryWording: 'Công nghệ sản xuất xi măng lò đứng', wordsMatched: 'xi mang lo dung' } });
    expect(f!.evidence).toContain('"Công nghệ sản xuất xi măng lò đứng"');
    expect(f!.evidence).toContain('Art. 11');
    expect(f!.evidence).toContain('Unverified');
  });

  it('evaluates numeric conditions against declared figures: below the threshold restricted, above it not', () => {
    const tiles = (figures?: Record<string, number>) => run({ technologies: [{ name: 'Dây chuyền gạch ốp lát', origin: 'IT', ...(figures ? { figures } : {}) }] });
    const small = tiles({ annual_capacity_m2: 1_500_000 });
    expect(of(small, 'tech.restricted_list')).toHaveLength(1);
    expect(of(small, 'tech.restricted_list')[0]!.evidence).toContain('meets the condition');
    const big = tiles({ annual_capacity_m2: 5_000_000 });
    expect(of(big, 'tech.restricted_list')).toEqual([]);
    expect(of(big, 'tech.list_condition_not_met')[0]).toMatchObject({ severity: 'info' });
    const exactly = tiles({ annual_capacity_m2: 2_000_000 });
    expect(of(exactly, 'tech.restricted_list')).toEqual([]); // "dưới" (below): 2 million is not below
    const undeclared = tiles();
    expect(of(undeclared, 'tech.restricted_list')[0]!.evidence).toContain('not declared');
  });
});

describe('screen: used machinery (Decision 18/2019)', () => {
  it('takes the age exception from the HS heading, whatever the sector; 6 digits before 4', () => {
    expect(ageLimitFor(rb, '8462.21.10')).toMatchObject({ maxAgeYears: 20, exception: { hsHeading: '846221' } });
    expect(ageLimitFor(rb, '8462.11')).toMatchObject({ maxAgeYears: 15, exception: { hsHeading: '8462' } });
    expect(ageLimitFor(rb, '8474.20')).toMatchObject({ maxAgeYears: 10 });
  });

  it('a listed heading in an unlisted sector passes within its limit; exactly at the limit passes; one year more fails', () => {
    expect(of(run({ machinery: [machine({ hsCode: '8458.11', manufactureYear: 2008 })] }, { sector: 'food_processing' }), 'machinery.used_age')).toEqual([]); // 18 ≤ 20
    expect(of(run({ machinery: [machine({ hsCode: '8458.11', manufactureYear: 2006 })] }, { sector: 'food_processing' }), 'machinery.used_age')).toEqual([]); // exactly 20
    const over = of(run({ machinery: [machine({ name: 'Lathe', hsCode: '8458.11', manufactureYear: 2005 })] }, { sector: 'food_processing' }), 'machinery.used_age');
    expect(over).toHaveLength(1);
    expect(over[0]!.evidence).toMatch(/"Lathe" \(HS 8458\.11\) built in 2005 is 21 years old in 2026; the limit for HS heading 8458 .* is 20 years/);
    expect(over[0]!.evidence).toContain('Decision 18/2019/QĐ-TTg');
  });

  it('an unlisted machine in a listed sector gets 10 years', () => {
    const f = of(run({ machinery: [machine({ name: 'Conveyor', hsCode: '8428.33', manufactureYear: 2014 })] }, { sector: 'mechanical_engineering' }), 'machinery.used_age');
    expect(f).toHaveLength(1);
    expect(f[0]!.evidence).toContain('general limit is 10 years');
    expect(of(run({ machinery: [machine({ hsCode: '8428.33', manufactureYear: 2016 })] }, { sector: 'mechanical_engineering' }), 'machinery.used_age')).toEqual([]);
  });

  it('ages against the planned import year, and warns at the policy stage when none is given', () => {
    const planned = of(run({ machinery: [machine({ hsCode: '8428.33', manufactureYear: 2017, plannedImportYear: 2028 })] }), 'machinery.used_age');
    expect(planned[0]!.evidence).toContain('11 years old in its planned import year 2028');
    expect(of(run({ machinery: [machine({ hsCode: '8428.33', manufactureYear: 2017 })] }), 'machinery.planned_import_year')[0]!.evidence).toContain('imported after 2027');
  });

  it('refuses used goods banned from import outright, without ageing them', () => {
    const f = run({ machinery: [machine({ name: 'Used laptops', hsCode: '8471.30', manufactureYear: 2024 })] });
    expect(of(f, 'machinery.banned_used_goods')[0]).toMatchObject({ severity: 'prohibited' });
    expect(of(f, 'machinery.used_age')).toEqual([]);
  });

  it('QCVN first, else TCVN or a G7/Korean national standard; bare ISO/IEC/EN is not one', () => {
    const std = (standards: string[]) => of(run({ machinery: [machine({ standards })] }), 'machinery.standards');
    expect(std(['QCVN 01:2008'])).toEqual([]);
    expect(std(['TCVN 7996'])).toEqual([]);
    expect(std(['DIN EN ISO 12100'])).toEqual([]);
    expect(std(['JIS B 6336'])).toEqual([]);
    expect(std(['KS B 0001'])).toEqual([]);
    const bare = std(['ISO 12100', 'EN 60204-1']);
    expect(bare[0]).toMatchObject({ severity: 'outdated' });
    expect(bare[0]!.evidence).toContain('is an international or regional number, not a national standard');
  });

  it('checks used lines: capacity ≥ 85%, consumption ≤ 115%, in use at ≥ 3 OECD factories', () => {
    const line = (over: Partial<Machine>) => run({ machinery: [machine({ partOfLine: true, remainingCapacityPct: 90, consumptionVsDesignPct: 110, oecdFactoriesInUse: 3, ...over })] });
    expect(line({}).filter((f) => f.severity === 'outdated')).toEqual([]);
    expect(of(line({ remainingCapacityPct: 84 }), 'machinery.line_capacity')[0]!.severity).toBe('outdated');
    expect(of(line({ consumptionVsDesignPct: 116 }), 'machinery.line_consumption')[0]!.severity).toBe('outdated');
    expect(of(line({ oecdFactoriesInUse: 2 }), 'machinery.line_oecd_factories')[0]!.evidence).toContain('at least 3 are required');
  });

  it('names the evidence document a used machine needs', () => {
    const f = of(run({ machinery: [machine({ evidenceDocument: undefined })] }), 'machinery.evidence_document');
    expect(f[0]!.evidence).toContain("manufacturer's certificate");
    expect(f[0]!.evidence).toContain('inspection certificate');
  });

  it('keeps Decree 31/2021 Art. 27 at info level and never fires it on new machines', () => {
    const used = of(run({ machinery: [machine({ hsCode: '8458.11', manufactureYear: 2012 })] }), 'machinery.hs_code_age');
    expect(used[0]).toMatchObject({ severity: 'info' });
    expect(of(run({ machinery: [machine({ hsCode: '8458.11', manufactureYear: 2000, condition: 'new' })] }), 'machinery.hs_code_age')).toEqual([]);
  });
});

describe('environmental risk from the LEP 2020 group', () => {
  it('I and II carry risk, III and IV not; a bare flag is "declared" and unverified', () => {
    expect(['I', 'II', 'III', 'IV'].map((g) => environmentalRiskOf(rb, { environmentalGroup: g as 'I' }).risk)).toEqual([true, true, false, false]);
    expect(environmentalRiskOf(rb, { environmentalGroup: null, environmentalRisk: true })).toMatchObject({ risk: true, basis: 'declared', verified: false });
  });
  it('requires the preliminary environmental impact component when the group carries risk', () => {
    const ids = (g: 'I' | 'IV') => requiredComponents(rb, { stage: 'investment_policy', environmentalGroup: g }).map((c) => c.id);
    expect(ids('I')).toContain('environmental_impact_preliminary');
    expect(ids('IV')).not.toContain('environmental_impact_preliminary');
  });
});

describe('appraisalRoute (rules as data)', () => {
  const restricted = run({ technologies: [{ name: 'Sản xuất thuốc nổ công nghiệp', origin: 'VN' }] });
  const route = (over: Partial<ScreeningSubject>, findings: Finding[] = [], book: RulebookContent = RULEBOOK_2017) => appraisalRoute({ subject: subject(over), findings, rulebook: book });

  it.each([
    ['national_assembly', 'policy.restricted.national_assembly', 'State Appraisal Council', 'appraisal'],
    ['prime_minister', 'policy.restricted.prime_minister', 'Ministry of Science and Technology', 'opinion'],
    ['provincial_peoples_committee', 'policy.restricted.province', 'provincial Department of Science and Technology', 'opinion'],
  ])('2017, policy stage, restricted technology, decided by %s', (decidingLevel, ruleId, body, form) => {
    expect(route({ decidingLevel }, restricted)).toMatchObject({ required: true, ruleId, body, form, citation: expect.stringContaining('13.2(a)'), verified: true });
  });

  it('2017, environmental risk by deciding level (Art. 14.3)', () => {
    expect(route({ decidingLevel: 'prime_minister', environmentalGroup: 'II' })).toMatchObject({ ruleId: 'policy.environment.prime_minister', body: expect.stringContaining('line ministry') });
    expect(route({ decidingLevel: 'provincial_peoples_committee', environmentalGroup: 'I' })).toMatchObject({ ruleId: 'policy.environment.province', citation: expect.stringContaining('13.2(b)') });
  });

  it('sends public-investment projects to the Public Investment Law (Art. 13.1), even with restricted technology', () => {
    expect(route({ capitalSource: 'state_budget' }, restricted)).toMatchObject({ required: false, ruleId: 'policy.public_investment', procedure: 'Public Investment Law', citation: expect.stringContaining('13.1') });
  });

  it('is not required by law without grounds, and labels the provincial practice separately', () => {
    const r = route({});
    expect(r).toMatchObject({ required: false, ruleId: 'policy.not_required', form: 'none', practice: { label: 'provincial_practice', form: 'opinion' } });
  });

  it('decision stage: only construction projects with restricted technology or risk (Art. 13.3), body by capital source (Art. 15.1)', () => {
    const d = (over: Partial<ScreeningSubject>, f: Finding[] = restricted) => route({ stage: 'investment_decision', construction: true, ...over }, f);
    expect(d({ construction: false })).toMatchObject({ required: false, ruleId: 'decision.not_construction' });
    expect(d({ construction: false, capitalSource: 'state_budget' })).toMatchObject({ required: false, ruleId: 'decision.public_investment_no_construction' });
    expect(d({}, [])).toMatchObject({ required: false, ruleId: 'decision.construction_no_trigger', procedure: 'Construction Law' });
    expect(d({ group: 'national_key' })).toMatchObject({ required: true, ruleId: 'decision.national_key', council: true, mode: 'council' });
    expect(d({ capitalSource: 'state_budget' })).toMatchObject({ required: true, ruleId: 'decision.state_budget', body: expect.stringContaining('construction authority') });
    for (const capitalSource of ['state_non_budget', 'private', 'foreign', 'mixed']) expect(d({ capitalSource })).toMatchObject({ required: true, ruleId: 'decision.other_capital' });
  });

  it('2026: decentralised to the province, unverified with the note, and no review without grounds', () => {
    const r = route({ decidingLevel: 'prime_minister' }, restricted, RULEBOOK_2026);
    expect(r).toMatchObject({ required: true, ruleId: 'policy.restricted.decentralised', verified: false, note: expect.stringContaining('Law 115/2025'), rulebookVersion: '2026.1', effectiveFrom: '2026-04-01' });
    expect(route({}, [], RULEBOOK_2026)).toMatchObject({ required: false, ruleId: 'policy.not_required' });
  });

  it('never makes a group A project a council by itself', () => {
    expect(route({ group: 'A' }, restricted)).toMatchObject({ council: false, mode: 'opinion' });
  });
});
