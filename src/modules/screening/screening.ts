/**
 * Automatic screening of a project's technology declaration against a rulebook, and the
 * appraisal route the law prescribes for it (Law 07/2017/QH14 Arts. 13–15).
 *
 * Pure and deterministic: the caller passes the screening year and the rulebook in force, the
 * same input always yields the same findings in the same order, and odd values (the route
 * validates, but stored data may be old) never throw — at worst a check is skipped or reported
 * as not evaluable.
 */
import type { ListEntry, RulebookContent, Stage } from '../rulebook/rulebook.schema';
import { matchListEntry, type ListMatch } from './text-match';

export type Severity = 'prohibited' | 'restricted' | 'outdated' | 'info';

export interface TechnologyDeclaration {
  technologies: Array<{ name: string; origin: string; description?: string }>;
  machinery: Array<{
    name: string;
    hsCode: string;
    manufactureYear: number;
    condition: 'new' | 'used';
    remainingCapacityPct?: number;
    consumptionVsDesignPct?: number;
    standards: string[];
    partOfLine?: boolean;
  }>;
}

export interface ScreeningSubject {
  stage: Stage;
  sector: string;
  environmentalRisk: boolean;
  group: 'national_key' | 'A' | 'B' | 'C';
  technologyContributedAsCapital?: boolean;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  subject: string;
  evidence: string;
  citation: string;
  ref: { kind: 'technology' | 'machinery' | 'project'; index?: number; listEntryId?: string };
}

/** Rule ids are a stable contract: findings are stored with them and decisions cite them. */
export const RULE_IDS = {
  prohibitedList: 'tech.prohibited_list',
  restrictedList: 'tech.restricted_list',
  encouragedList: 'tech.encouraged_list',
  usedAge: 'machinery.used_age',
  lineCapacity: 'machinery.line_capacity',
  lineConsumption: 'machinery.line_consumption',
  standards: 'machinery.standards',
  hsCodeAge: 'machinery.hs_code_age',
  environmentalRisk: 'project.environmental_risk',
} as const;

// ---------------------------------------------------------------------------------------------
// Small helpers

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const years = (n: number): string => `${n} year${n === 1 ? '' : 's'}`;
const pct = (n: number): string => `${Number.isInteger(n) ? n : Number(n.toFixed(2))}%`;
const quoted = (s: string): string => `"${s.trim() === '' ? '(unnamed)' : s.trim()}"`;

/** HS chapter = first two digits of the code ("8462.10" → 84); undefined if there are none. */
function hsChapter(hsCode: string): number | undefined {
  const digits = hsCode.replace(/\D/g, '');
  return digits.length >= 2 ? Number(digits.slice(0, 2)) : undefined;
}

/** The age limit for a sector: its exception if listed (the largest, should data list it twice). */
export function ageLimitFor(rulebook: RulebookContent, sector: string): { maxAgeYears: number; citation: string; exception: boolean } {
  const um = rulebook.usedMachinery;
  let best: { maxAgeYears: number; citation: string; exception: boolean } = {
    maxAgeYears: um.maxAgeYears,
    citation: um.citation,
    exception: false,
  };
  for (const x of um.sectorExceptions) {
    if (x.sectors.includes(sector) && (!best.exception || x.maxAgeYears > best.maxAgeYears)) {
      best = { maxAgeYears: x.maxAgeYears, citation: x.citation, exception: true };
    }
  }
  return best;
}

/**
 * Does a declared standard start with an accepted prefix? Case- and diacritic-insensitive, and the
 * prefix must end at a word boundary: "BS EN 60204" is British, "BSI-123" and "NFPA 70" are not
 * "BS" and "NF".
 */
function standardHasPrefix(standard: string, prefixes: readonly string[]): string | undefined {
  const s = str(standard).normalize('NFKD').replace(/\p{M}/gu, '').trim().toUpperCase();
  for (const p of prefixes) {
    const up = p.toUpperCase();
    if (s.startsWith(up) && (s.length === up.length || !/[A-Z]/.test(s.charAt(up.length)))) return p;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Technology lists

const LISTS = [
  { key: 'prohibited', severity: 'prohibited', ruleId: RULE_IDS.prohibitedList },
  { key: 'restricted', severity: 'restricted', ruleId: RULE_IDS.restrictedList },
  { key: 'encouraged', severity: 'info', ruleId: RULE_IDS.encouragedList },
] as const;

function aliasPhrase(m: ListMatch): string {
  const alias = m.alias ?? '';
  return m.how === 'token_set' ? `all words of alias "${alias}", in another order` : `alias "${alias}"`;
}

/** List hits for one declared item; each list entry is reported at most once per item. */
function listFindings(
  rulebook: RulebookContent,
  kind: 'technology' | 'machinery',
  index: number,
  name: string,
  description: string,
): Finding[] {
  const out: Finding[] = [];
  const label = kind === 'technology' ? 'Technology' : 'Machine';
  for (const list of LISTS) {
    const entries: ListEntry[] = Array.isArray(rulebook.technologyLists?.[list.key]) ? rulebook.technologyLists[list.key] : [];
    for (const entry of entries) {
      // The name is the stronger evidence, so it is tried first.
      const byName = matchListEntry(name, entry);
      const byDescription = byName.matched || description === '' ? undefined : matchListEntry(description, entry);
      const m = byName.matched ? byName : byDescription;
      if (!m?.matched) continue;
      const where = byName.matched ? '' : ' (in its description)';
      out.push({
        ruleId: list.ruleId,
        severity: list.severity,
        subject: name,
        evidence: `${label} ${quoted(name)}${where} matches the ${list.key} entry "${entry.name}" (${aliasPhrase(m)}).`,
        citation: entry.citation,
        ref: { kind, index, listEntryId: entry.id },
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Machinery

type Machine = TechnologyDeclaration['machinery'][number];

function machineryFindings(rulebook: RulebookContent, subject: ScreeningSubject, year: number, m: Machine, index: number): Finding[] {
  const out: Finding[] = [];
  const um = rulebook.usedMachinery;
  const name = str(m?.name);
  const hs = str(m?.hsCode).trim();
  const used = m?.condition === 'used';
  const label = `${used ? 'Used machine' : 'Machine'} ${quoted(name)}${hs ? ` (HS ${hs})` : ''}`;
  const ref = { kind: 'machinery' as const, index };
  const add = (ruleId: string, severity: Severity, evidence: string, citation: string) =>
    out.push({ ruleId, severity, subject: name, evidence, citation, ref });

  const built = num(m?.manufactureYear);
  const age = built !== undefined && Number.isInteger(built) && built <= year ? year - built : undefined;

  // Age of used machinery (Decision 18/2019 Art. 6.1): "not exceeding" the limit, so equal passes.
  let usedAgeFailed = false;
  if (used) {
    const limit = ageLimitFor(rulebook, subject.sector);
    if (age === undefined) {
      add(
        RULE_IDS.usedAge,
        'info',
        `${label} declares manufacture year ${built === undefined ? 'none' : String(built)}, which cannot be evaluated in ${year}; its age must be checked by hand.`,
        limit.citation,
      );
    } else if (age > limit.maxAgeYears) {
      usedAgeFailed = true;
      add(
        RULE_IDS.usedAge,
        'outdated',
        `${label} built in ${built} is ${years(age)} old in ${year}; the limit for sector ${subject.sector} is ${years(limit.maxAgeYears)}${limit.exception ? ' (sector exception)' : ''}.`,
        limit.citation,
      );
    }
  }

  // Decree 31/2021 Art. 27 (HS ch. 84/85 over 10 years blocks extending the operating term). Only
  // informative here: the import rules above decide; it is skipped when the machine already
  // failed them, to avoid reporting the same age twice.
  const chapter = hsChapter(hs);
  if (!usedAgeFailed && age !== undefined && chapter !== undefined && um.hsChaptersAgeRule.includes(chapter) && age > um.hsAgeRuleMaxYears) {
    add(
      RULE_IDS.hsCodeAge,
      'info',
      `${label} (HS chapter ${chapter}) built in ${built} is ${years(age)} old in ${year}, more than ${years(um.hsAgeRuleMaxYears)}; an extension of the project's operating term would be refused on this ground.`,
      um.hsAgeRuleCitation,
    );
  }

  // Technological lines (Decision 18/2019 Art. 5; Decree 31/2021 Art. 27). A declared value is
  // always checked; a missing one is only worth a note for a used line.
  const inLine = m?.partOfLine === true;
  const capacity = num(m?.remainingCapacityPct);
  if (capacity !== undefined) {
    if (capacity < um.minRemainingCapacityPct) {
      add(
        RULE_IDS.lineCapacity,
        'outdated',
        `${label}${inLine ? ', part of a technological line,' : ''} has ${pct(capacity)} of its design capacity remaining; the minimum is ${pct(um.minRemainingCapacityPct)}.`,
        um.lineCitation,
      );
    }
  } else if (inLine && used) {
    add(
      RULE_IDS.lineCapacity,
      'info',
      `${label} is part of a technological line but declares no remaining capacity; the minimum is ${pct(um.minRemainingCapacityPct)} of design.`,
      um.lineCitation,
    );
  }
  const consumption = num(m?.consumptionVsDesignPct);
  if (consumption !== undefined) {
    if (consumption > um.maxConsumptionVsDesignPct) {
      add(
        RULE_IDS.lineConsumption,
        'outdated',
        `${label}${inLine ? ', part of a technological line,' : ''} consumes ${pct(consumption)} of its design material and energy consumption; the maximum is ${pct(um.maxConsumptionVsDesignPct)}.`,
        um.lineCitation,
      );
    }
  } else if (inLine && used) {
    add(
      RULE_IDS.lineConsumption,
      'info',
      `${label} is part of a technological line but declares no consumption against design; the maximum is ${pct(um.maxConsumptionVsDesignPct)}.`,
      um.lineCitation,
    );
  }

  // Standards (Decision 18/2019 Art. 6.2): QCVN, or where none exists TCVN / G7 / Korean.
  const standards = Array.isArray(m?.standards) ? m.standards.map(str).filter((s) => s.trim() !== '') : [];
  const accepted = [...um.acceptedStandards.primary, ...um.acceptedStandards.fallback];
  if (!standards.some((s) => standardHasPrefix(s, accepted) !== undefined)) {
    const declared = standards.length === 0 ? 'declares no standards' : `declares ${standards.map((s) => `"${s.trim()}"`).join(', ')}`;
    add(
      RULE_IDS.standards,
      used ? 'outdated' : 'info',
      `${label} ${declared}; none is ${um.acceptedStandards.primary.join(' or ')} or an accepted fallback (${um.acceptedStandards.fallback.join(', ')}).`,
      um.acceptedStandards.citation,
    );
  }

  // Names of machines are searched against the lists too ("mercury cell electrolyser").
  out.push(...listFindings(rulebook, 'machinery', index, name, ''));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ordering

const KIND_ORDER = { technology: 0, machinery: 1, project: 2 } as const;

/** Declared items in declaration order (technologies, then machinery, then the project), then rule. */
function compareFindings(a: Finding, b: Finding): number {
  const cmp = (x: string | number, y: string | number) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    cmp(KIND_ORDER[a.ref.kind], KIND_ORDER[b.ref.kind]) ||
    cmp(a.ref.index ?? -1, b.ref.index ?? -1) ||
    cmp(a.ruleId, b.ruleId) ||
    cmp(a.ref.listEntryId ?? '', b.ref.listEntryId ?? '') ||
    cmp(a.evidence, b.evidence)
  );
}

// ---------------------------------------------------------------------------------------------
// Public API

export function screen(input: {
  subject: ScreeningSubject;
  declaration: TechnologyDeclaration;
  rulebook: RulebookContent;
  year: number;
}): Finding[] {
  const { subject, declaration, rulebook, year } = input;
  const findings: Finding[] = [];

  const technologies = Array.isArray(declaration?.technologies) ? declaration.technologies : [];
  technologies.forEach((t, i) => {
    findings.push(...listFindings(rulebook, 'technology', i, str(t?.name), str(t?.description)));
  });

  const machinery = Array.isArray(declaration?.machinery) ? declaration.machinery : [];
  machinery.forEach((m, i) => findings.push(...machineryFindings(rulebook, subject, year, m, i)));

  if (subject?.environmentalRisk === true) {
    findings.push({
      ruleId: RULE_IDS.environmentalRisk,
      severity: 'info',
      subject: 'project',
      evidence:
        subject.stage === 'investment_policy'
          ? 'The project declares a risk of adverse environmental impact and uses technology, so its technology must be appraised or receive an opinion at the investment-policy stage.'
          : 'The project declares a risk of adverse environmental impact; the environmental impact of its technology is part of the appraisal.',
      citation: 'Law 07/2017/QH14, Art. 13.1(b)',
      ref: { kind: 'project' },
    });
  }

  return findings.sort(compareFindings);
}

/** Names of reviewing bodies, as shown to clerks and stored on the appraisal. */
export const APPRAISAL_BODIES = {
  stateCouncil: 'State Appraisal Council',
  provincialDost: 'provincial Department of Science and Technology',
  specialisedDepartment: 'specialised provincial department',
  lineSector: 'line-sector body',
} as const;

export interface AppraisalRoute {
  required: boolean;
  mode: 'opinion' | 'council';
  body: string;
  reason: string;
  citation: string;
}

/**
 * Who reviews the technology and how (Law 07/2017/QH14 Arts. 13–15). Written for provincial
 * projects; national-key projects always go to the State Appraisal Council. When the law does
 * not require a review the province still gives an opinion (the "100% appraised" practice), so
 * the result is then `required: false` with mode `opinion`.
 */
export function appraisalRoute(input: { subject: ScreeningSubject; findings: Finding[]; rulebook: RulebookContent }): AppraisalRoute {
  const { subject, rulebook } = input;
  const findings = Array.isArray(input.findings) ? input.findings : [];
  const prohibited = findings.filter((f) => f?.severity === 'prohibited');
  const restricted = findings.filter((f) => f?.severity === 'restricted');
  const env = subject?.environmentalRisk === true;
  const council = `a council of at least ${rulebook.appraisal.council.minMembers} members`;
  const opinion = `a written opinion (at least ${rulebook.appraisal.opinion.minAppraisers} appraiser${rulebook.appraisal.opinion.minAppraisers === 1 ? '' : 's'})`;
  const entries = (fs: Finding[]) => [...new Set(fs.map((f) => f.ref.listEntryId ?? f.subject))].join(', ');

  if (subject?.stage === 'investment_decision') {
    if (subject.group === 'national_key') {
      return {
        required: true,
        mode: 'council',
        body: APPRAISAL_BODIES.stateCouncil,
        reason: `National key project at the investment-decision stage: the State Appraisal Council appraises the technology with ${council}.${prohibited.length ? ` Screening found prohibited technology (${entries(prohibited)}); it must be refused.` : ''}`,
        citation: 'Law 07/2017/QH14, Arts. 13.3, 15',
      };
    }
    return {
      required: true,
      mode: 'opinion',
      body: APPRAISAL_BODIES.lineSector,
      reason: prohibited.length
        ? `Screening found prohibited technology (${entries(prohibited)}): the project must still be appraised, and the technology refused; ${opinion} by the line-sector body (with the construction authority where state-budget capital is used).`
        : `Group ${subject.group} project at the investment-decision stage: ${opinion} by the line-sector body (with the construction authority where state-budget capital is used).`,
      citation: 'Law 07/2017/QH14, Arts. 13.3, 15',
    };
  }

  // Investment-policy stage (Art. 13.1): restricted technology or environmental risk.
  const grounds: string[] = [];
  if (restricted.length) grounds.push(`it uses restricted technology (${entries(restricted)})`);
  if (env) grounds.push('it carries a risk of adverse environmental impact');

  if (subject?.group === 'national_key') {
    return {
      required: grounds.length > 0 || prohibited.length > 0,
      mode: 'council',
      body: APPRAISAL_BODIES.stateCouncil,
      reason:
        grounds.length > 0 || prohibited.length > 0
          ? `National key project: the State Appraisal Council appraises the technology with ${council} because ${[...(prohibited.length ? [`screening found prohibited technology (${entries(prohibited)})`] : []), ...grounds].join(' and ')}.`
          : 'National key project without restricted technology or environmental risk: Art. 13.1 does not require a technology appraisal at this stage; the State Appraisal Council reviews it in the investment-policy appraisal.',
      citation: 'Law 07/2017/QH14, Arts. 13.1, 14',
    };
  }

  if (prohibited.length) {
    return {
      required: true,
      mode: 'opinion',
      body: APPRAISAL_BODIES.provincialDost,
      reason: `Screening found prohibited technology (${entries(prohibited)}): the project must still be appraised, and the technology refused; ${opinion} by the provincial Department of Science and Technology.`,
      citation: 'Law 07/2017/QH14, Arts. 11, 13.1, 14',
    };
  }

  if (restricted.length) {
    const byCouncil = subject?.group === 'A';
    return {
      required: true,
      mode: byCouncil ? 'council' : 'opinion',
      body: APPRAISAL_BODIES.provincialDost,
      reason: `Review required because ${grounds.join(' and ')}: ${byCouncil ? `group A project, so ${council}` : opinion} by the provincial Department of Science and Technology${env ? ', consulting the specialised provincial department on the environmental risk' : ''}.`,
      citation: 'Law 07/2017/QH14, Arts. 13.1(a), 14',
    };
  }

  if (env) {
    return {
      required: true,
      mode: 'opinion',
      body: APPRAISAL_BODIES.specialisedDepartment,
      reason: `Review required because ${grounds.join(' and ')}: ${opinion} by the specialised provincial department.`,
      citation: 'Law 07/2017/QH14, Arts. 13.1(b), 14',
    };
  }

  return {
    required: false,
    mode: 'opinion',
    body: APPRAISAL_BODIES.provincialDost,
    reason: 'No restricted technology and no environmental risk: Art. 13.1 does not require a technology review at the investment-policy stage. The province still gives an opinion on every project (100% coverage practice).',
    citation: 'Law 07/2017/QH14, Art. 13.1',
  };
}

/**
 * The dossier components the investor must upload: the stage's always-required components plus
 * the conditional ones whose trigger applies (Art. 16; "if any" items stay optional).
 */
export function requiredComponents(
  rulebook: RulebookContent,
  subject: Pick<ScreeningSubject, 'stage' | 'environmentalRisk' | 'technologyContributedAsCapital'>,
): Array<{ id: string; title: string }> {
  const components = rulebook.dossierComponents?.[subject?.stage] ?? [];
  return components
    .filter(
      (c) =>
        c.required ||
        (c.requiredWhen === 'environmental_risk' && subject.environmentalRisk === true) ||
        (c.requiredWhen === 'technology_contributed_as_capital' && subject.technologyContributedAsCapital === true),
    )
    .map((c) => ({ id: c.id, title: c.title }));
}
