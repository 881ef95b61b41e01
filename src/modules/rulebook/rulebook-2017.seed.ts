/**
 * Version 2017.2: the Law on Technology Transfer 07/2017/QH14 (Chapter II, in force 2018-07-01),
 * Decree 76/2018/NĐ-CP, Decision 18/2019/QĐ-TTg (Appendix I replaced by Decision 28/2022/QĐ-TTg)
 * and Decree 31/2021/NĐ-CP Art. 27 — the 2017 text CORRECTED after a rule-by-rule review.
 *
 * It replaces version 2017.1 (same effective date, published later, so it is the one in force
 * until 2026-04-01); 2017.1 stays stored because earlier screenings name it. What changed:
 * routing by deciding level and capital source (Arts. 13.1, 13.2(a)/(b), 13.3, 14.2, 14.3, 15.1),
 * no "group A ⇒ council" rule, age exceptions keyed by HS heading instead of sector, standards
 * without bare ISO/IEC/EN, exact citations (Art. 17.3–17.7, Art. 18.1), the Investment Law by date
 * (never Law 67/2014/QH13).
 */
import type { RoutingRule, RulebookContent, TimeLimit } from './rulebook.schema';
import {
  APPRAISAL_RULES,
  D18,
  D31,
  D76,
  ENCOURAGED_LIST,
  ENVIRONMENTAL_GROUPS,
  LAW,
  PROHIBITED_LIST,
  RESTRICTED_LIST,
  SECTORS,
  criteria,
  dossierComponents,
  usedMachinery,
} from './rulebook-shared.seed';

const rule = (r: Omit<RoutingRule, 'verified'> & { verified?: boolean }): RoutingRule => ({ verified: true, ...r }) as RoutingRule;

/** Shared by both versions: the Art. 13.3 / 15.1 decision-stage routing (2026 marks it unverified). */
export function decisionStageRules(mark: { verified: boolean; note?: string }, prefix = ''): RoutingRule[] {
  const m = mark.verified ? { verified: true } : { verified: false, note: mark.note };
  return [
    rule({
      id: 'decision.public_investment_no_construction',
      kind: 'law',
      when: { stage: ['investment_decision'], capitalSource: ['state_budget'], construction: false },
      then: { required: false, body: 'the body deciding the investment under the Public Investment Law', form: 'none', council: false, procedure: 'Public Investment Law' },
      reason: 'A public-investment project without construction is reviewed under the Public Investment Law, not this Law.',
      citation: `${prefix}${LAW}, Art. 13.3`,
      ...m,
    }),
    rule({
      id: 'decision.not_construction',
      kind: 'law',
      when: { stage: ['investment_decision'], construction: false },
      then: { required: false, body: 'none (Chapter II does not apply)', form: 'none', council: false },
      reason: 'At the investment-decision stage Chapter II reviews only construction investment projects.',
      citation: `${prefix}${LAW}, Art. 13.3`,
      ...m,
    }),
    rule({
      id: 'decision.construction_no_trigger',
      kind: 'law',
      when: { stage: ['investment_decision'], construction: true, restrictedTechnology: false, environmentalRisk: false },
      then: { required: false, body: 'the construction authority (basic-design appraisal)', form: 'none', council: false, procedure: 'Construction Law' },
      reason: 'A construction project without restricted technology or environmental risk follows the Construction Law.',
      citation: `${prefix}${LAW}, Art. 13.3`,
      ...m,
    }),
    rule({
      id: 'decision.national_key',
      kind: 'law',
      when: { stage: ['investment_decision'], group: ['national_key'] },
      then: { required: true, body: 'State Appraisal Council', form: 'appraisal', council: true },
      reason: 'National key project: the State Appraisal Council appraises the technology.',
      citation: `${prefix}${LAW}, Arts. 13.3, 15.1(a)`,
      ...m,
    }),
    rule({
      id: 'decision.state_budget',
      kind: 'law',
      when: { stage: ['investment_decision'], capitalSource: ['state_budget'] },
      then: { required: true, body: 'the construction authority (chair), with the line body of the same level', form: 'appraisal', council: false },
      reason: 'Group A/B/C project with state-budget capital: the construction authority chairs the appraisal with the line body; where it is also the line body it appraises the technology within the basic design (Art. 18.1(c)).',
      citation: `${prefix}${LAW}, Arts. 13.3, 15.1(b), 18.1(c)`,
      ...m,
    }),
    rule({
      id: 'decision.other_capital',
      kind: 'law',
      when: { stage: ['investment_decision'] },
      then: { required: true, body: 'the line body (specialised body) of the level deciding the investment', form: 'appraisal', council: false },
      reason: 'Project with non-budget state capital or other capital: the line body appraises the technology.',
      citation: `${prefix}${LAW}, Arts. 13.3, 15.1(c)`,
      ...m,
    }),
  ];
}

export const PROVINCIAL_PRACTICE: RoutingRule = rule({
  id: 'practice.province_opinion_on_every_project',
  kind: 'provincial_practice',
  when: { stage: ['investment_policy'] },
  then: { required: false, body: 'provincial Department of Science and Technology', form: 'opinion', council: false },
  reason: 'Provincial practice, not required by law: Quang Ninh reports that 100% of investment projects are appraised or commented on; a project outside Art. 13 may still be sent for an opinion.',
  citation: 'Provincial practice (Quang Ninh science and technology reports); not a legal requirement',
  verified: true,
});

const POLICY_RULES: RoutingRule[] = [
  rule({
    id: 'policy.public_investment',
    kind: 'law',
    when: { stage: ['investment_policy'], capitalSource: ['state_budget'] },
    then: { required: false, body: 'the body appraising the investment policy under the Public Investment Law', form: 'none', council: false, procedure: 'Public Investment Law' },
    reason: 'The technology of a public-investment project is appraised under the Public Investment Law, not Chapter II.',
    citation: `${LAW}, Arts. 13.1, 14.1, 17.1`,
  }),
  rule({
    id: 'policy.no_policy_decision',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['investor'] },
    then: { required: false, body: 'none (no investment-policy decision)', form: 'none', council: false },
    reason: 'Art. 13.2 reviews only projects that need an investment-policy decision.',
    citation: `${LAW}, Art. 13.2`,
  }),
  rule({
    id: 'policy.restricted.national_assembly',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['national_assembly'], restrictedTechnology: true },
    then: { required: true, body: 'State Appraisal Council', form: 'appraisal', council: true },
    reason: 'Restricted technology, policy decided by the National Assembly: the State Appraisal Council appraises.',
    citation: `${LAW}, Arts. 13.2(a), 14.2`,
  }),
  rule({
    id: 'policy.restricted.prime_minister',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['prime_minister'], restrictedTechnology: true },
    then: { required: true, body: 'Ministry of Science and Technology', form: 'opinion', council: false },
    reason: 'Restricted technology, policy decided by the Prime Minister: the Ministry of Science and Technology gives an opinion.',
    citation: `${LAW}, Arts. 13.2(a), 14.2`,
  }),
  rule({
    id: 'policy.restricted.province',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['provincial_peoples_committee'], restrictedTechnology: true },
    then: { required: true, body: 'provincial Department of Science and Technology', form: 'opinion', council: false },
    reason: "Restricted technology, policy decided by the provincial People's Committee: the provincial Department of Science and Technology gives an opinion.",
    citation: `${LAW}, Arts. 13.2(a), 14.2`,
  }),
  rule({
    id: 'policy.environment.national_assembly',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['national_assembly'], environmentalRisk: true },
    then: { required: true, body: 'State Appraisal Council', form: 'appraisal', council: true },
    reason: 'Risk of adverse environmental impact, policy decided by the National Assembly: the State Appraisal Council appraises.',
    citation: `${LAW}, Arts. 13.2(b), 14.3`,
  }),
  rule({
    id: 'policy.environment.prime_minister',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['prime_minister'], environmentalRisk: true },
    then: { required: true, body: 'the line ministry, with the Ministry of Science and Technology', form: 'opinion', council: false },
    reason: 'Risk of adverse environmental impact, policy decided by the Prime Minister: the line ministry gives an opinion with the Ministry of Science and Technology.',
    citation: `${LAW}, Arts. 13.2(b), 14.3`,
  }),
  rule({
    id: 'policy.environment.province',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['provincial_peoples_committee'], environmentalRisk: true },
    then: { required: true, body: 'the provincial specialised department', form: 'opinion', council: false },
    reason: "Risk of adverse environmental impact, policy decided by the provincial People's Committee: the provincial specialised department gives an opinion.",
    citation: `${LAW}, Arts. 13.2(b), 14.3`,
  }),
  rule({
    id: 'policy.not_required',
    kind: 'law',
    when: { stage: ['investment_policy'] },
    then: { required: false, body: 'none (Art. 13.2 does not apply)', form: 'none', council: false },
    reason: 'No restricted technology and no risk of adverse environmental impact: Art. 13.2 does not require a technology review at the investment-policy stage.',
    citation: `${LAW}, Art. 13.2`,
  }),
];

const limit = (t: Omit<TimeLimit, 'verified'> & { verified?: boolean }): TimeLimit => ({ verified: true, ...t }) as TimeLimit;
const EXTENSION = 'a written notice with reasons to the construction authority or the investor';

/** The Law 07/2017 time limits; 2026 carries them over, marked unverified. */
export function chapterTwoTimeLimits(mark: { verified: boolean; note?: string }): TimeLimit[] {
  const m = mark.verified ? { verified: true } : { verified: false, note: mark.note };
  return [
    limit({ id: 'policy_forward_dossier', step: 'forward_to_reviewer', description: 'The investment registration agency forwards the complete dossier to the reviewing body', unit: 'working_days', limit: 3, appliesTo: { stage: 'investment_policy' }, citation: `${LAW}, Art. 17.3–17.6`, ...m }),
    limit({ id: 'policy_opinion', step: 'opinion', description: 'The reviewing body gives its opinion on the technology, from the complete dossier', unit: 'working_days', limit: 15, appliesTo: { stage: 'investment_policy' }, citation: `${LAW}, Art. 17.7`, ...m }),
    limit({ id: 'decision_forward_construction_authority', step: 'forward_to_reviewer', description: 'The construction authority forwards the dossier of a state-budget project to the line body', unit: 'working_days', limit: 5, appliesTo: { stage: 'investment_decision', capitalSource: ['state_budget'] }, citation: `${LAW}, Art. 18.1(b)`, ...m }),
    limit({ id: 'decision_appraisal_group_a', step: 'appraisal', description: 'Technology appraisal at the investment-decision stage, group A (and national key) project', unit: 'calendar_days', limit: 20, appliesTo: { stage: 'investment_decision', group: ['national_key', 'A'] }, extension: { maxTimes: 1, maxDays: 20, requires: EXTENSION }, citation: `${LAW}, Art. 18.1(d)`, ...m }),
    limit({ id: 'decision_appraisal_group_b', step: 'appraisal', description: 'Technology appraisal at the investment-decision stage, group B project', unit: 'calendar_days', limit: 15, appliesTo: { stage: 'investment_decision', group: ['B'] }, extension: { maxTimes: 1, maxDays: 15, requires: EXTENSION }, citation: `${LAW}, Art. 18.1(d)`, ...m }),
    limit({ id: 'decision_appraisal_group_c', step: 'appraisal', description: 'Technology appraisal at the investment-decision stage, group C project', unit: 'calendar_days', limit: 10, appliesTo: { stage: 'investment_decision', group: ['C'] }, extension: { maxTimes: 1, maxDays: 10, requires: EXTENSION }, citation: `${LAW}, Art. 18.1(d)`, ...m }),
  ];
}

export const RULEBOOK_2017: RulebookContent = {
  version: '2017.2',
  title: 'Technology appraisal of investment projects — Law on Technology Transfer 2017 (corrected)',
  effectiveFrom: '2018-07-01',
  summary: 'Corrects 2017.1: routing by deciding level and capital source, HS-keyed age exceptions, exact citations, Investment Law by date.',
  sources: [
    { id: 'law_07_2017', title: 'Law on Technology Transfer No. 07/2017/QH14', citation: LAW, inForceFrom: '2018-07-01', verified: true },
    { id: 'decree_76_2018', title: 'Decree 76/2018/NĐ-CP detailing the Law on Technology Transfer (lists, Art. 3)', citation: D76, verified: true },
    { id: 'decision_18_2019', title: 'Decision 18/2019/QĐ-TTg on the import of used machinery, equipment and technological lines', citation: D18, verified: true },
    { id: 'decision_28_2022', title: 'Decision 28/2022/QĐ-TTg replacing Appendix I of Decision 18/2019 (HS 2022 headings)', citation: 'Decision 28/2022/QĐ-TTg', inForceFrom: '2023-03-01', verified: true },
    { id: 'decree_31_2021', title: 'Decree 31/2021/NĐ-CP detailing the Investment Law (Art. 27)', citation: D31, verified: true },
    { id: 'investment_law_61_2020', title: 'Investment Law No. 61/2020/QH14 (replaced Law 67/2014/QH13 on 2021-01-01)', citation: 'Law 61/2020/QH14', inForceFrom: '2021-01-01', verified: true },
    { id: 'law_environment_72_2020', title: 'Law on Environmental Protection No. 72/2020/QH14', citation: 'Law 72/2020/QH14', inForceFrom: '2022-01-01', verified: true },
  ],
  sectors: SECTORS,
  environmentalGroups: ENVIRONMENTAL_GROUPS,
  routing: { rules: [...POLICY_RULES, ...decisionStageRules({ verified: true }), PROVINCIAL_PRACTICE] },
  technologyLists: { prohibited: PROHIBITED_LIST, restricted: RESTRICTED_LIST, encouraged: ENCOURAGED_LIST },
  usedMachinery: usedMachinery(),
  dossierComponents: dossierComponents({
    citation: 'Investment Law 61/2020/QH14, Art. 33 (from 2021-01-01; before that date the Investment Law then in force)',
    verified: false,
    note: 'The investment-policy dossier article of the Investment Law in force on the date the dossier was filed: confirm the article.',
  }),
  criteria: criteria(),
  timeLimits: chapterTwoTimeLimits({ verified: true }),
  appraisal: APPRAISAL_RULES,
};
