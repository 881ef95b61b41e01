import { describe, expect, it } from 'vitest';
import { RULEBOOK_2017 } from '../../src/modules/rulebook/rulebook-2017.seed';
import type { ListEntry, RulebookContent } from '../../src/modules/rulebook/rulebook.schema';
import { matchListEntry, normalise, tokenize } from '../../src/modules/screening/text-match';
import {
  appraisalRoute,
  requiredComponents,
  screen,
  type Finding,
  type ScreeningSubject,
  type TechnologyDeclaration,
} from '../../src/modules/screening/screening';

const allEntries: ListEntry[] = [
  ...RULEBOOK_2017.technologyLists.prohibited,
  ...RULEBOOK_2017.technologyLists.restricted,
  ...RULEBOOK_2017.technologyLists.encouraged,
];
const entry = (id: string): ListEntry => {
  const e = allEntries.find((x) => x.id === id);
  if (!e) throw new Error(`no list entry ${id}`);
  return e;
};
/** Ids of every list entry the text matches. */
const hits = (text: string) => allEntries.filter((e) => matchListEntry(text, e).matched).map((e) => e.id);

type Machine = TechnologyDeclaration['machinery'][number];
const subject = (over: Partial<ScreeningSubject> = {}): ScreeningSubject => ({
  stage: 'investment_policy',
  sector: 'other',
  environmentalRisk: false,
  group: 'B',
  ...over,
});
const machine = (over: Partial<Machine> = {}): Machine => ({
  name: 'CNC lathe L-1',
  hsCode: '8458.11',
  manufactureYear: 2024,
  condition: 'new',
  standards: ['QCVN 01:2008/BLĐTBXH'],
  ...over,
});
const run = (decl: Partial<TechnologyDeclaration>, over: Partial<ScreeningSubject> = {}, year = 2026) =>
  screen({ subject: subject(over), declaration: { technologies: [], machinery: [], ...decl }, rulebook: RULEBOOK_2017, year });
const brief = (fs: Finding[]) => fs.map((f) => [f.ruleId, f.severity, f.ref.kind, f.ref.index ?? null, f.ref.listEntryId ?? null]);

// ---------------------------------------------------------------------------------------------

describe('normalise / tokenize', () => {
  it.each([
    ['Xi măng lò đứng', 'xi mang lo dung'],
    ['XI MĂNG LÒ ĐỨNG', 'xi mang lo dung'],
    ['Đường   dây — điện!!', 'duong day dien'],
    ['thuỷ ngân / thủy ngân', 'thuy ngan thuy ngan'],
    ['Vertical-kiln  cement (VSK)', 'vertical kiln cement vsk'],
    ['ＴｉＯ２ pigment', 'tio2 pigment'], // full-width forms
    ['  ', ''],
  ])('normalise(%j) = %j', (input, expected) => {
    expect(normalise(input)).toBe(expected);
  });

  it('unifies plurals, number words and sulph/sulf spellings', () => {
    expect(tokenize('Processes Kilns Batteries Switches Sulphuric TWO Euro II')).toEqual([
      'process', 'kiln', 'battery', 'switch', 'sulfuric', '2', 'euro', '2',
    ]);
    // Vietnamese syllables and short words are left alone.
    expect(tokenize('gas amiăng bus')).toEqual(['gas', 'amiang', 'bus']);
  });

  it('never throws on odd input', () => {
    expect(normalise(undefined as unknown as string)).toBe('');
    expect(normalise(42 as unknown as string)).toBe('42');
    expect(matchListEntry(null as unknown as string, entry('vertical_kiln_cement'))).toEqual({ matched: false });
    expect(matchListEntry('xi măng lò đứng', { id: 'x', name: '', aliases: [], citation: 'c' })).toEqual({ matched: false });
  });
});

describe('matchListEntry: hits', () => {
  it.each([
    // text, entry, how, alias reported
    ['Xi mang lo dung', 'vertical_kiln_cement', 'exact', 'xi măng lò đứng'],
    ['xi măng lò đứng', 'vertical_kiln_cement', 'exact', 'xi măng lò đứng'],
    ['XI-MĂNG LÒ-ĐỨNG', 'vertical_kiln_cement', 'exact', 'xi măng lò đứng'],
    ['Dây chuyền xi măng lò đứng công suất 8 vạn tấn/năm', 'vertical_kiln_cement', 'phrase', 'xi măng lò đứng'],
    ['day chuyen san xuat xi mang lo dung', 'vertical_kiln_cement', 'phrase', 'Sản xuất xi măng lò đứng'],
    ['Vertical-kiln cement', 'vertical_kiln_cement', 'exact', 'Vertical-kiln cement'],
    ['VSK cement plant, 80,000 t/y', 'vertical_kiln_cement', 'phrase', 'VSK cement'],
    ['Cement (vertical kilns)', 'vertical_kiln_cement', 'token_set', 'Vertical-kiln cement'],
    ['cement produced in vertical shaft kilns', 'vertical_kiln_cement', 'token_set', 'vertical shaft kiln cement'],
    ['Wet process rotary kiln cement line', 'wet_process_rotary_kiln_cement', 'phrase', 'Wet-process rotary-kiln cement'],
    ['Cement, wet process, rotary kiln', 'wet_process_rotary_kiln_cement', 'token_set', 'Wet-process rotary-kiln cement'],
    ['rotary kiln cement produced by the wet process', 'wet_process_rotary_kiln_cement', 'token_set', 'Wet-process rotary-kiln cement'],
    ['xi mang lo quay theo phuong phap uot', 'wet_process_rotary_kiln_cement', 'exact', 'xi măng lò quay theo phương pháp ướt'],
    ['Mercury-cell chloralkali plant', 'mercury_electrode_electrolysis', 'phrase', 'mercury cell chlor-alkali'],
    ['Điện phân dùng điện cực thuỷ ngân để sản xuất xút', 'mercury_electrode_electrolysis', 'phrase', 'điện phân dùng điện cực thủy ngân'],
    ['dien phan dien cuc thuy ngan', 'mercury_electrode_electrolysis', 'exact', 'điện phân điện cực thủy ngân'],
    ['Tuyển vàng bằng thủy ngân tại mỏ nhỏ', 'mercury_small_scale_gold_mining', 'phrase', 'tuyển vàng bằng thủy ngân'],
    ['Motorcycle two-stroke engines', 'two_stroke_engines_motor_vehicles', 'token_set', 'two stroke motorcycle engine'],
    ['2-stroke engines for motor vehicles', 'two_stroke_engines_motor_vehicles', 'exact', 'Two-stroke engines for motor vehicles'],
    ['Lắp ráp xe máy 2 kỳ', 'two_stroke_engines_motor_vehicles', 'phrase', 'xe máy 2 kỳ'],
    ['Cars below Euro II', 'cars_below_euro_2', 'exact', 'cars below euro 2'],
    ['In chu chi', 'lead_type_printing', 'exact', 'In chữ chì'],
    ['Hot-metal typesetting', 'lead_type_printing', 'exact', 'hot metal typesetting'],
    ['Wood treated with pentachlorophenol (PCP)', 'pentachlorophenol_wood_preservatives', 'phrase', 'pentachlorophenol'],
    ['Production of industrial explosives', 'industrial_explosives_production', 'token_set', 'Industrial explosives production'],
    ['Tấm lợp amiăng xi măng', 'chrysotile_asbestos_building_materials', 'phrase', 'tấm lợp amiăng'],
    ['Titanium dioxide, sulfate process', 'tio2_sulphuric_acid_process', 'exact', 'titanium dioxide sulphate process'],
    ['Bột màu TiO2 bằng phương pháp axit sunfuric', 'tio2_sulphuric_acid_process', 'phrase', 'tio2 bằng phương pháp axit sunfuric'],
    ['Nuôi tôm có sử dụng hóa chất độc hại trong nuôi trồng thủy sản', 'toxic_chemicals_aquaculture_seafood', 'phrase', 'hóa chất độc hại trong nuôi trồng thủy sản'],
    ['Nhà máy linh kiện công nghệ cao', 'high_technology', 'phrase', 'Công nghệ cao'],
    // "not only" is not a negation: the hit still counts.
    ['Không chỉ xi măng lò đứng mà còn gạch nung', 'vertical_kiln_cement', 'phrase', 'xi măng lò đứng'],
  ])('%j matches %s (%s, alias %j)', (text, id, how, alias) => {
    expect(matchListEntry(text, entry(id))).toEqual({ matched: true, alias, how });
  });
});

describe('matchListEntry: near misses are not flagged', () => {
  it.each([
    ['cement'],
    ['xi măng'],
    ['xi mang'],
    ['Rotary kiln cement (dry process)'],
    ['Dry-process rotary kiln cement with 5-stage preheater'],
    ['Dây chuyền xi măng lò quay sử dụng công nghệ khô'],
    ['xi mang lo quay su dung cong nghe kho'],
    ['Vertical roller mill for rotary kiln cement'],
    ['Cement plant with wet scrubber and rotary kiln'],
    ['Rotary kiln cement line with wet scrubber'],
    ['Membrane-cell chlor-alkali electrolysis'],
    ['Mercury emission monitoring for a coal power plant'],
    ['Four-stroke motorcycle engines'],
    ['Two-stroke chainsaw engine'],
    ['Động cơ 4 kỳ cho xe máy'],
    ['TiO2 pigment by the chloride process'],
    ['Sulphuric acid plant'],
    ['Asbestos-free fibre cement sheets'],
    ['Tấm lợp không amiăng'],
    ['Không sử dụng công nghệ xi măng lò đứng'],
    ['without mercury cell electrolysis'],
    ['Lead-free solder printing'],
    ['Therapeutic research on human stem cells'],
    ['High-temperature technology'],
    ['Aquaculture feed mill'],
    ['Quarry blasting with industrial explosives'],
  ])('%j matches nothing', (text) => {
    expect(hits(text)).toEqual([]);
  });

  it('does not join a name and a following sentence into one match', () => {
    expect(matchListEntry('Rotary kiln. Cement grinding', entry('wet_process_rotary_kiln_cement')).matched).toBe(false);
    expect(matchListEntry('Kiln is vertical. Cement is sold locally', entry('vertical_kiln_cement')).matched).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('screen: technologies', () => {
  it('finds nothing blocking in a clean project', () => {
    const findings = run({
      technologies: [
        { name: 'Dry-process rotary kiln cement', origin: 'Germany', description: 'Five-stage preheater, calciner and bag filters.' },
        { name: 'Dây chuyền nghiền xi măng', origin: 'Việt Nam' },
      ],
      machinery: [machine(), machine({ name: 'Bag filter', hsCode: '8421.39', condition: 'used', manufactureYear: 2020, standards: ['TCVN 5575:2012'] })],
    });
    expect(findings).toEqual([]);
  });

  it('flags a prohibited technology written in Vietnamese without diacritics', () => {
    const findings = run({ technologies: [{ name: 'Xi mang lo dung', origin: 'Trung Quốc' }] });
    expect(findings).toEqual([
      {
        ruleId: 'tech.prohibited_list',
        severity: 'prohibited',
        subject: 'Xi mang lo dung',
        evidence: 'Technology "Xi mang lo dung" matches the prohibited entry "Vertical-kiln cement" (alias "xi măng lò đứng").',
        citation: RULEBOOK_2017.technologyLists.prohibited[0]!.citation,
        ref: { kind: 'technology', index: 0, listEntryId: 'vertical_kiln_cement' },
      },
    ]);
  });

  it('searches the description when the name says nothing, and says so', () => {
    const findings = run({
      technologies: [{ name: 'Roofing sheet line', origin: 'Thailand', description: 'Corrugated sheets of chrysotile asbestos and cement.' }],
    });
    expect(brief(findings)).toEqual([['tech.restricted_list', 'restricted', 'technology', 0, 'chrysotile_asbestos_building_materials']]);
    expect(findings[0]?.evidence).toBe(
      'Technology "Roofing sheet line" (in its description) matches the restricted entry "Building materials with chrysotile (white) asbestos" (alias "chrysotile asbestos").',
    );
  });

  it('reports word-order matches as such', () => {
    const [f] = run({ technologies: [{ name: 'Cement, vertical kiln', origin: 'CN' }] });
    expect(f?.evidence).toBe(
      'Technology "Cement, vertical kiln" matches the prohibited entry "Vertical-kiln cement" (all words of alias "Vertical-kiln cement", in another order).',
    );
  });

  it('does not flag a near miss', () => {
    expect(run({ technologies: [{ name: 'Rotary kiln cement (dry process)', origin: 'Denmark' }] })).toEqual([]);
  });

  it('reports encouraged technology as info', () => {
    expect(brief(run({ technologies: [{ name: 'Điện mặt trời áp mái', origin: 'VN' }] }))).toEqual([
      ['tech.encouraged_list', 'info', 'technology', 0, 'renewable_energy_storage'],
    ]);
  });

  it('searches machinery names against the lists too', () => {
    const findings = run({ machinery: [machine({ name: 'Mercury cell electrolyser', hsCode: '8543.30' })] });
    expect(brief(findings)).toEqual([['tech.prohibited_list', 'prohibited', 'machinery', 0, 'mercury_electrode_electrolysis']]);
    expect(findings[0]?.evidence).toBe(
      'Machine "Mercury cell electrolyser" matches the prohibited entry "Mercury-electrode electrolysis" (alias "mercury cell electrolyser").',
    );
  });
});

describe('screen: used machinery', () => {
  const press = (over: Partial<Machine> = {}) =>
    machine({ name: 'Press line P-200', hsCode: '8462', manufactureYear: 2009, condition: 'used', standards: ['JIS B 6403'], ...over });

  it('flags a used machine older than the limit, with the numbers in the evidence', () => {
    const findings = run({ machinery: [press()] });
    expect(brief(findings)).toEqual([['machinery.used_age', 'outdated', 'machinery', 0, null]]);
    const f = findings[0]!;
    expect(f.evidence).toBe('Used machine "Press line P-200" (HS 8462) built in 2009 is 17 years old in 2026; the limit for sector other is 10 years.');
    expect(f.evidence).toContain('17 years');
    expect(f.evidence).toContain('limit');
    expect(f.evidence).toContain('10');
    expect(f.citation).toBe('Decision 18/2019/QĐ-TTg, Art. 6.1');
    expect(f.subject).toBe('Press line P-200');
  });

  it.each([
    // sector, manufactureYear, expected findings
    ['other', 2016, []], // exactly 10 years: "not exceeding" passes
    ['other', 2015, [['machinery.used_age', 'outdated']]],
    ['wood_processing', 2013, [['machinery.hs_code_age', 'info']]], // 13 ≤ 15, but > 10 for Decree 31 Art. 27
    ['wood_processing', 2011, [['machinery.hs_code_age', 'info']]], // exactly 15
    ['wood_processing', 2010, [['machinery.used_age', 'outdated']]],
    ['mechanical_engineering', 2012, [['machinery.hs_code_age', 'info']]],
    ['pulp_paper', 2007, [['machinery.hs_code_age', 'info']]], // 19 ≤ 20
    ['pulp_paper', 2005, [['machinery.used_age', 'outdated']]],
  ])('sector %s, built %i, in 2026', (sector, built, expected) => {
    const findings = run({ machinery: [press({ manufactureYear: built })] }, { sector });
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual(expected);
  });

  it('names the sector exception in the evidence', () => {
    const [f] = run({ machinery: [press({ manufactureYear: 2009 })] }, { sector: 'wood_processing' });
    expect(f?.evidence).toBe(
      'Used machine "Press line P-200" (HS 8462) built in 2009 is 17 years old in 2026; the limit for sector wood_processing is 15 years (sector exception).',
    );
    expect(f?.citation).toBe('Decision 18/2019/QĐ-TTg, Art. 6.1 and Appendix I');
  });

  it('explains the Decree 31/2021 age rule for HS chapters 84/85 only', () => {
    const [f] = run({ machinery: [press({ manufactureYear: 2013 })] }, { sector: 'wood_processing' });
    expect(f?.evidence).toBe(
      'Used machine "Press line P-200" (HS 8462) (HS chapter 84) built in 2013 is 13 years old in 2026, more than 10 years; an extension of the project\'s operating term would be refused on this ground.',
    );
    expect(f?.citation).toBe('Decree 31/2021/NĐ-CP, Art. 27');
    // HS chapter 90 (instruments) is outside the rule.
    expect(run({ machinery: [press({ manufactureYear: 2013, hsCode: '9031.80' })] }, { sector: 'wood_processing' })).toEqual([]);
  });

  it.each([
    [80, [['machinery.line_capacity', 'outdated']]],
    [84.5, [['machinery.line_capacity', 'outdated']]],
    [85, []],
    [100, []],
  ])('line capacity %d%% of design', (pctValue, expected) => {
    const findings = run({ machinery: [press({ manufactureYear: 2020, partOfLine: true, remainingCapacityPct: pctValue, consumptionVsDesignPct: 100 })] });
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual(expected);
  });

  it('states capacity numbers in the evidence', () => {
    const [f] = run({ machinery: [press({ manufactureYear: 2020, partOfLine: true, remainingCapacityPct: 80, consumptionVsDesignPct: 100 })] });
    expect(f?.evidence).toBe(
      'Used machine "Press line P-200" (HS 8462), part of a technological line, has 80% of its design capacity remaining; the minimum is 85%.',
    );
    expect(f?.citation).toContain('Decision 18/2019/QĐ-TTg, Art. 5');
  });

  it.each([
    [120, [['machinery.line_consumption', 'outdated']]],
    [115.5, [['machinery.line_consumption', 'outdated']]],
    [115, []],
    [90, []],
  ])('consumption %d%% of design', (pctValue, expected) => {
    const findings = run({ machinery: [press({ manufactureYear: 2020, partOfLine: true, remainingCapacityPct: 95, consumptionVsDesignPct: pctValue })] });
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual(expected);
  });

  it('states consumption numbers in the evidence, also for a machine outside a line', () => {
    const [f] = run({ machinery: [press({ manufactureYear: 2020, consumptionVsDesignPct: 120 })] });
    expect(f?.evidence).toBe(
      'Used machine "Press line P-200" (HS 8462) consumes 120% of its design material and energy consumption; the maximum is 115%.',
    );
  });

  it('notes a used line that declares neither capacity nor consumption', () => {
    const findings = run({ machinery: [press({ manufactureYear: 2020, partOfLine: true })] });
    expect(brief(findings)).toEqual([
      ['machinery.line_capacity', 'info', 'machinery', 0, null],
      ['machinery.line_consumption', 'info', 'machinery', 0, null],
    ]);
  });

  it.each([
    [['GB/T 3766-2015'], 'used', 'outdated'],
    [['GB/T 3766-2015'], 'new', 'info'],
    [[], 'used', 'outdated'],
    [['CE marked'], 'new', 'info'],
    [['BSI-123'], 'used', 'outdated'], // "BS" must be a whole prefix
  ] as const)('standards %j on a %s machine → %s', (standards, condition, severity) => {
    const findings = run({ machinery: [press({ manufactureYear: 2022, condition, standards: [...standards] })] });
    expect(findings.map((f) => [f.ruleId, f.severity])).toEqual([['machinery.standards', severity]]);
  });

  it.each([
    ['qcvn 01:2008/BLĐTBXH'],
    ['TCVN 7384-1:2010'],
    ['DIN EN ISO 12100'],
    ['JIS B 6201'],
    ['BS EN 60204-1'],
    ['NF EN 1012'],
    ['UNI EN 292'],
    ['ANSI B11.1'],
    ['CSA Z432'],
    ['KS B 0001'],
    ['ISO 13849-1'],
    ['IEC 60204-1'],
  ])('accepts the standard %j', (standard) => {
    expect(run({ machinery: [press({ manufactureYear: 2022, standards: ['GB 5226', standard] })] })).toEqual([]);
  });

  it('writes the standards evidence in full', () => {
    const [f] = run({ machinery: [press({ manufactureYear: 2022, standards: ['GB/T 3766-2015'] })] });
    expect(f?.evidence).toBe(
      'Used machine "Press line P-200" (HS 8462) declares "GB/T 3766-2015"; none is QCVN or an accepted fallback (TCVN, ANSI, ASTM, ASME, UL, IEEE, NFPA, DIN, VDE, JIS, BS, NF, UNI, CSA, KS, EN, ISO, IEC).',
    );
    expect(f?.citation).toBe('Decision 18/2019/QĐ-TTg, Art. 6.2 (single machines) and Art. 5 (technological lines)');
  });

  it('never throws on odd values', () => {
    const odd = {
      technologies: [null, { name: 42 }, { name: 'Xi măng lò đứng', description: null }],
      machinery: [
        { name: 'No year', hsCode: '', manufactureYear: Number.NaN, condition: 'used', standards: undefined },
        { name: 'Future', hsCode: 'x', manufactureYear: 2030, condition: 'used', standards: ['QCVN 1'] },
        null,
      ],
    } as unknown as TechnologyDeclaration;
    const findings = screen({ subject: subject(), declaration: odd, rulebook: RULEBOOK_2017, year: 2026 });
    expect(brief(findings)).toEqual([
      ['tech.prohibited_list', 'prohibited', 'technology', 2, 'vertical_kiln_cement'],
      ['machinery.standards', 'outdated', 'machinery', 0, null],
      ['machinery.used_age', 'info', 'machinery', 0, null],
      ['machinery.used_age', 'info', 'machinery', 1, null],
      ['machinery.standards', 'info', 'machinery', 2, null],
    ]);
    expect(findings[3]?.evidence).toBe(
      'Used machine "Future" (HS x) declares manufacture year 2030, which cannot be evaluated in 2026; its age must be checked by hand.',
    );
    expect(screen({ subject: subject(), declaration: {} as TechnologyDeclaration, rulebook: RULEBOOK_2017, year: 2026 })).toEqual([]);
  });
});

describe('screen: project and ordering', () => {
  it('notes the environmental-risk flag', () => {
    expect(run({}, { environmentalRisk: true })).toEqual([
      {
        ruleId: 'project.environmental_risk',
        severity: 'info',
        subject: 'project',
        evidence:
          'The project declares a risk of adverse environmental impact and uses technology, so its technology must be appraised or receive an opinion at the investment-policy stage.',
        citation: 'Law 07/2017/QH14, Art. 13.1(b)',
        ref: { kind: 'project' },
      },
    ]);
  });

  const busy: TechnologyDeclaration = {
    technologies: [
      { name: 'Grinding', origin: 'VN' },
      { name: 'Tấm lợp amiăng trắng', origin: 'TH', description: 'Dùng PCP bảo quản gỗ pallet. Xi măng lò đứng.' },
    ],
    machinery: [
      machine({ name: 'Old press', hsCode: '8462', manufactureYear: 2005, condition: 'used', standards: [], partOfLine: true, remainingCapacityPct: 70, consumptionVsDesignPct: 130 }),
      machine({ name: 'New motor', hsCode: '8501', manufactureYear: 2012, standards: ['IEC 60034'] }),
    ],
  };

  it('orders findings by item (technologies, machinery, project), then index, then rule, then list entry', () => {
    const findings = run(busy, { environmentalRisk: true });
    expect(brief(findings)).toEqual([
      ['tech.prohibited_list', 'prohibited', 'technology', 1, 'vertical_kiln_cement'],
      ['tech.restricted_list', 'restricted', 'technology', 1, 'chrysotile_asbestos_building_materials'],
      ['machinery.line_capacity', 'outdated', 'machinery', 0, null],
      ['machinery.line_consumption', 'outdated', 'machinery', 0, null],
      ['machinery.standards', 'outdated', 'machinery', 0, null],
      ['machinery.used_age', 'outdated', 'machinery', 0, null],
      ['machinery.hs_code_age', 'info', 'machinery', 1, null],
      ['project.environmental_risk', 'info', 'project', null, null],
    ]);
  });

  it('is deterministic: same input, same output, whatever the rulebook list order', () => {
    const a = run(busy, { environmentalRisk: true });
    const b = run(busy, { environmentalRisk: true });
    expect(b).toEqual(a);
    const reversed: RulebookContent = structuredClone(RULEBOOK_2017);
    reversed.technologyLists.prohibited.reverse();
    reversed.technologyLists.restricted.reverse();
    const c = screen({ subject: subject({ environmentalRisk: true }), declaration: busy, rulebook: reversed, year: 2026 });
    expect(c).toEqual(a);
  });

  it('does not mutate its input', () => {
    const decl = structuredClone(busy);
    const rb = structuredClone(RULEBOOK_2017);
    run(decl);
    screen({ subject: subject(), declaration: decl, rulebook: rb, year: 2026 });
    expect(decl).toEqual(busy);
    expect(rb).toEqual(RULEBOOK_2017);
  });
});

// ---------------------------------------------------------------------------------------------

describe('appraisalRoute', () => {
  const restrictedFinding = run({ technologies: [{ name: 'Tấm lợp amiăng', origin: 'TH' }] });
  const prohibitedFinding = run({ technologies: [{ name: 'Xi mang lo dung', origin: 'CN' }] });
  const route = (findings: Finding[], over: Partial<ScreeningSubject> = {}) =>
    appraisalRoute({ subject: subject(over), findings, rulebook: RULEBOOK_2017 });

  it.each([
    // description, findings, subject, required, mode, body
    ['policy, nothing', [], {}, false, 'opinion', 'provincial Department of Science and Technology'],
    ['policy, restricted, group B', restrictedFinding, {}, true, 'opinion', 'provincial Department of Science and Technology'],
    ['policy, restricted, group C', restrictedFinding, { group: 'C' }, true, 'opinion', 'provincial Department of Science and Technology'],
    ['policy, restricted, group A', restrictedFinding, { group: 'A' }, true, 'council', 'provincial Department of Science and Technology'],
    ['policy, environmental risk', [], { environmentalRisk: true }, true, 'opinion', 'specialised provincial department'],
    ['policy, environmental risk, group A', [], { environmentalRisk: true, group: 'A' }, true, 'opinion', 'specialised provincial department'],
    ['policy, restricted and environmental risk', restrictedFinding, { environmentalRisk: true }, true, 'opinion', 'provincial Department of Science and Technology'],
    ['policy, national key, no grounds', [], { group: 'national_key' }, false, 'council', 'State Appraisal Council'],
    ['policy, national key, environmental risk', [], { group: 'national_key', environmentalRisk: true }, true, 'council', 'State Appraisal Council'],
    ['policy, prohibited', prohibitedFinding, {}, true, 'opinion', 'provincial Department of Science and Technology'],
    ['policy, prohibited, group A', prohibitedFinding, { group: 'A' }, true, 'opinion', 'provincial Department of Science and Technology'],
    ['decision, national key', [], { stage: 'investment_decision', group: 'national_key' }, true, 'council', 'State Appraisal Council'],
    ['decision, group A', [], { stage: 'investment_decision', group: 'A' }, true, 'opinion', 'line-sector body'],
    ['decision, group C, restricted', restrictedFinding, { stage: 'investment_decision', group: 'C' }, true, 'opinion', 'line-sector body'],
    ['decision, prohibited', prohibitedFinding, { stage: 'investment_decision' }, true, 'opinion', 'line-sector body'],
  ] as const)('%s', (_label, findings, over, required, mode, body) => {
    const r = route([...findings], over);
    expect([r.required, r.mode, r.body]).toEqual([required, mode, body]);
    expect(r.citation).toMatch(/^Law 07\/2017\/QH14, Arts?\. /);
    expect(r.reason.length).toBeGreaterThan(40);
  });

  it('explains the reason in words', () => {
    expect(route(prohibitedFinding).reason).toBe(
      'Screening found prohibited technology (vertical_kiln_cement): the project must still be appraised, and the technology refused; a written opinion (at least 1 appraiser) by the provincial Department of Science and Technology.',
    );
    expect(route(restrictedFinding, { group: 'A', environmentalRisk: true }).reason).toBe(
      'Review required because it uses restricted technology (chrysotile_asbestos_building_materials) and it carries a risk of adverse environmental impact: group A project, so a council of at least 5 members by the provincial Department of Science and Technology, consulting the specialised provincial department on the environmental risk.',
    );
    expect(route([]).reason).toContain('Art. 13.1 does not require');
    expect(route([]).citation).toBe('Law 07/2017/QH14, Art. 13.1');
  });
});

describe('requiredComponents', () => {
  const ids = (over: Partial<ScreeningSubject>) => requiredComponents(RULEBOOK_2017, subject(over)).map((c) => c.id);
  const policyBase = [
    'investment_registration_application',
    'technology_option_analysis',
    'technology_name_origin_process',
    'machinery_list',
    'technology_use_conditions',
  ];

  it('requires the unconditional Art. 16.1 components at the policy stage', () => {
    expect(ids({})).toEqual(policyBase);
  });

  it('adds the preliminary environmental impact when there is an environmental risk', () => {
    expect(ids({ environmentalRisk: true })).toEqual([...policyBase, 'environmental_impact_preliminary']);
  });

  it('adds the draft transfer contract when technology is contributed as capital', () => {
    expect(ids({ technologyContributedAsCapital: true })).toEqual([...policyBase, 'draft_transfer_contract']);
  });

  it('requires all Art. 16.2 components at the decision stage, with titles', () => {
    const comps = requiredComponents(RULEBOOK_2017, subject({ stage: 'investment_decision', environmentalRisk: true }));
    expect(comps.map((c) => c.id)).toEqual([
      'technology_name_origin_process',
      'machinery_list',
      'products_standards_quality',
      'raw_materials_supply',
      'training_programme',
      'technology_cost',
    ]);
    expect(comps[5]).toEqual({ id: 'technology_cost', title: 'Cost of technology, machinery and training' });
  });
});
