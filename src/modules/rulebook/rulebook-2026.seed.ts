/**
 * Version 2026.1, in force from 2026-04-01: what is known of Law 115/2025/QH15 amending the Law on
 * Technology Transfer (21 articles amended, 1 added, 9 repealed: review only for projects using
 * restricted technology or carrying environmental risk, decentralised to provinces), the Investment
 * Law 143/2025/QH15 (in force 2026-03-01, guided by Decree 96/2026/NĐ-CP), Decision 28/2022/QĐ-TTg's
 * HS-keyed Appendix I and Decree 118/2025/NĐ-CP (one-stop mechanism).
 *
 * The amended article text was not obtained (press reports only): every rule that depends on it is
 * `verified: false` with a note, and the answers that use it say so.
 */
import type { RoutingRule, RulebookContent, TimeLimit } from './rulebook.schema';
import { PROVINCIAL_PRACTICE, chapterTwoTimeLimits, decisionStageRules } from './rulebook-2017.seed';
import { APPRAISAL_RULES, D18, D31, D76, ENCOURAGED_LIST, ENVIRONMENTAL_GROUPS, LAW, PROHIBITED_LIST, RESTRICTED_LIST, SECTORS, criteria, dossierComponents, usedMachinery } from './rulebook-shared.seed';

const AMENDED = `${LAW} as amended by Law 115/2025/QH15`;
const UNVERIFIED = {
  verified: false,
  note: 'Law 115/2025/QH15 amended Arts. 13–21 (in force 2026-04-01); the amended article text was not obtained (press reports): confirm the article, the reviewing body and the form against the gazette.',
} as const;

const rule = (r: Omit<RoutingRule, 'verified' | 'note'>): RoutingRule => ({ ...r, ...UNVERIFIED });

const POLICY_RULES: RoutingRule[] = [
  rule({
    id: 'policy.public_investment',
    kind: 'law',
    when: { stage: ['investment_policy'], capitalSource: ['state_budget'] },
    then: { required: false, body: 'the body appraising the investment policy under the Public Investment Law', form: 'none', council: false, procedure: 'Public Investment Law' },
    reason: 'The technology of a public-investment project is appraised under the Public Investment Law (carve-out assumed kept by Law 115/2025).',
    citation: `${AMENDED}, Art. 13.1`,
  }),
  rule({
    id: 'policy.no_policy_decision',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['investor'] },
    then: { required: false, body: 'none (no investment-policy decision)', form: 'none', council: false },
    reason: 'Only projects that need an investment-policy decision are reviewed at this stage.',
    citation: `${AMENDED}, Art. 13.2`,
  }),
  rule({
    id: 'policy.national_assembly',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['national_assembly'], restrictedTechnology: true },
    then: { required: true, body: 'State Appraisal Council', form: 'appraisal', council: true },
    reason: 'Restricted technology, policy decided by the National Assembly: the State Appraisal Council appraises.',
    citation: `${AMENDED}, Arts. 13.2, 14`,
  }),
  rule({
    id: 'policy.national_assembly.environment',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['national_assembly'], environmentalRisk: true },
    then: { required: true, body: 'State Appraisal Council', form: 'appraisal', council: true },
    reason: 'Environmental risk, policy decided by the National Assembly: the State Appraisal Council appraises.',
    citation: `${AMENDED}, Arts. 13.2, 14`,
  }),
  rule({
    id: 'policy.restricted.decentralised',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['prime_minister', 'provincial_peoples_committee'], restrictedTechnology: true },
    then: { required: true, body: "provincial Department of Science and Technology (review decentralised to the provincial People's Committee)", form: 'opinion', council: false },
    reason: 'Restricted technology: after Law 115/2025 the review is decentralised to the province where the project is located.',
    citation: `${AMENDED}, Arts. 13.2, 14`,
  }),
  rule({
    id: 'policy.environment.decentralised',
    kind: 'law',
    when: { stage: ['investment_policy'], decidingLevel: ['prime_minister', 'provincial_peoples_committee'], environmentalRisk: true },
    then: { required: true, body: "provincial Department of Science and Technology, consulting the provincial specialised department (review decentralised to the provincial People's Committee)", form: 'opinion', council: false },
    reason: 'Risk of adverse environmental impact: after Law 115/2025 the review is decentralised to the province.',
    citation: `${AMENDED}, Arts. 13.2, 14`,
  }),
  rule({
    id: 'policy.not_required',
    kind: 'law',
    when: { stage: ['investment_policy'] },
    then: { required: false, body: 'none (no restricted technology, no environmental risk)', form: 'none', council: false },
    reason: 'Law 115/2025 limits the review to projects using restricted technology or carrying environmental risk.',
    citation: `${AMENDED}, Art. 13.2`,
  }),
];

const INVESTMENT_LAW_2025_NOTE = 'Investment Law 143/2025/QH15 and Decree 96/2026/NĐ-CP: confirm the article and the day counts.';
const wrapper = (id: string, description: string, days: number): TimeLimit => ({
  id,
  step: id.replace(/^investment_procedure_/, 'investment_procedure.'),
  description,
  unit: 'working_days',
  limit: days,
  appliesTo: { stage: 'investment_policy' },
  citation: 'Decree 96/2026/NĐ-CP (investment-policy procedure under Investment Law 143/2025/QH15)',
  verified: false,
  note: INVESTMENT_LAW_2025_NOTE,
});

export const RULEBOOK_2026: RulebookContent = {
  version: '2026.1',
  title: 'Technology appraisal of investment projects — Law on Technology Transfer as amended by Law 115/2025/QH15',
  effectiveFrom: '2026-04-01',
  summary: 'Law 115/2025/QH15 (review only for restricted technology or environmental risk, decentralised to provinces), Investment Law 143/2025/QH15, Decision 28/2022/QĐ-TTg, Decree 118/2025/NĐ-CP.',
  sources: [
    { id: 'law_07_2017', title: 'Law on Technology Transfer No. 07/2017/QH14', citation: LAW, inForceFrom: '2018-07-01', verified: true },
    { id: 'law_115_2025', title: 'Law 115/2025/QH15 amending the Law on Technology Transfer', citation: 'Law 115/2025/QH15', inForceFrom: '2026-04-01', ...UNVERIFIED },
    { id: 'investment_law_143_2025', title: 'Investment Law No. 143/2025/QH15 (replaces Law 61/2020/QH14)', citation: 'Law 143/2025/QH15', inForceFrom: '2026-03-01', verified: false, note: INVESTMENT_LAW_2025_NOTE },
    { id: 'decree_96_2026', title: 'Decree 96/2026/NĐ-CP guiding the Investment Law 143/2025', citation: 'Decree 96/2026/NĐ-CP', verified: false, note: INVESTMENT_LAW_2025_NOTE },
    { id: 'decree_76_2018', title: 'Decree 76/2018/NĐ-CP (lists, Art. 3)', citation: D76, verified: false, note: 'Whether Decree 76/2018 was replaced after Law 115/2025: verify.' },
    { id: 'decision_18_2019', title: 'Decision 18/2019/QĐ-TTg on used machinery', citation: D18, verified: false, note: 'Decree 292/2026/NĐ-CP replaced Decree 69/2018 (its basis) from 2026-09-05: check whether Decision 18 was kept.' },
    { id: 'decision_28_2022', title: 'Decision 28/2022/QĐ-TTg replacing Appendix I of Decision 18/2019 (HS 2022 headings)', citation: 'Decision 28/2022/QĐ-TTg', inForceFrom: '2023-03-01', verified: true },
    { id: 'decree_118_2025', title: 'Decree 118/2025/NĐ-CP on the one-stop mechanism (replaces Decree 61/2018/NĐ-CP)', citation: 'Decree 118/2025/NĐ-CP', inForceFrom: '2025-07-01', verified: false, note: 'Whether the slip numbering (Mẫu 01–06) was kept: verify.' },
    { id: 'decree_31_2021', title: 'Decree 31/2021/NĐ-CP (Art. 27)', citation: D31, verified: false, note: 'Replaced with the Investment Law 61/2020? Confirm which decree now holds the Art. 27 rule.' },
    { id: 'law_environment_72_2020', title: 'Law on Environmental Protection No. 72/2020/QH14', citation: 'Law 72/2020/QH14', inForceFrom: '2022-01-01', verified: true },
  ],
  sectors: SECTORS,
  environmentalGroups: ENVIRONMENTAL_GROUPS,
  routing: { rules: [...POLICY_RULES, ...decisionStageRules(UNVERIFIED, ''), PROVINCIAL_PRACTICE].map((r) => (r.kind === 'law' && r.id.startsWith('decision.') ? { ...r, citation: r.citation.replace(LAW, AMENDED) } : r)) },
  technologyLists: { prohibited: PROHIBITED_LIST, restricted: RESTRICTED_LIST, encouraged: ENCOURAGED_LIST },
  usedMachinery: usedMachinery({ note: 'Decree 292/2026/NĐ-CP replaced Decree 69/2018 from 2026-09-05: confirm that Decision 18/2019 (scope HS 84/85) still applies.' }),
  dossierComponents: dossierComponents({
    citation: 'Investment Law 143/2025/QH15 (from 2026-03-01), investment-policy dossier; Decree 96/2026/NĐ-CP',
    verified: false,
    note: INVESTMENT_LAW_2025_NOTE,
  }),
  criteria: criteria(),
  timeLimits: [
    ...chapterTwoTimeLimits(UNVERIFIED),
    wrapper('investment_procedure_send_out', 'The investment registration agency sends the dossier out for opinions', 2),
    wrapper('investment_procedure_reply', 'Consulted bodies reply (no reply in time counts as consent)', 7),
    wrapper('investment_procedure_appraisal_report', 'The investment registration agency completes the appraisal report', 14),
    wrapper('investment_procedure_decision', 'The competent body decides the investment policy', 3),
  ],
  appraisal: APPRAISAL_RULES,
};
