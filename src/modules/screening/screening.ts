/**
 * Automatic screening of a project's technology declaration against a rulebook version, and the
 * review route the rulebook's routing rules give it.
 *
 * Pure and deterministic: the caller passes the screening year and the rulebook, the same input
 * always yields the same findings in the same order, and odd values (stored data may be old) never
 * throw — at worst a check is reported as not evaluable. Everything that changes with the law is
 * read from the rulebook; this file holds no thresholds, bodies or citations of its own.
 */
import type {
  AgeException,
  CapitalSource,
  DecidingLevel,
  EnvironmentalGroup,
  ListEntry,
  ProjectGroup,
  RouteWhen,
  RoutingRule,
  RulebookContent,
  Stage,
} from '../rulebook/rulebook.schema';
import { matchListEntry, type ListMatch } from './text-match';

export type Severity = 'prohibited' | 'restricted' | 'outdated' | 'info';

export interface TechnologyDeclaration {
  technologies: Array<{ name: string; origin: string; description?: string; figures?: Record<string, number> }>;
  machinery: Array<{
    name: string;
    hsCode: string;
    manufactureYear: number;
    condition: 'new' | 'used';
    plannedImportYear?: number;
    remainingCapacityPct?: number;
    consumptionVsDesignPct?: number;
    oecdFactoriesInUse?: number;
    evidenceDocument?: string;
    standards: string[];
    partOfLine?: boolean;
  }>;
}

export interface ScreeningSubject {
  stage: Stage;
  sector: string;
  group: ProjectGroup;
  capitalSource?: CapitalSource | string;
  decidingLevel?: DecidingLevel | string;
  /** Group under the Law on Environmental Protection 2020; null for projects registered before it was asked. */
  environmentalGroup?: EnvironmentalGroup | null;
  /** The investor's own flag: used only when no group is known (projects registered before groups). */
  environmentalRisk?: boolean;
  /** Construction investment project (Art. 13.3); null when not declared. */
  construction?: boolean | null;
  highTechZone?: boolean;
  technologyContributedAsCapital?: boolean;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  subject: string;
  evidence: string;
  citation: string;
  /** False when the rulebook entry the finding rests on is not verified against the gazette. */
  verified: boolean;
  note?: string;
  ref: { kind: 'technology' | 'machinery' | 'project'; index?: number; listEntryId?: string; [k: string]: unknown };
}

/** Rule ids are a stable contract: findings are stored with them and decisions cite them. */
export const RULE_IDS = {
  prohibitedList: 'tech.prohibited_list',
  restrictedList: 'tech.restricted_list',
  encouragedList: 'tech.encouraged_list',
  listConditionNotMet: 'tech.list_condition_not_met',
  bannedUsedGoods: 'machinery.banned_used_goods',
  outOfScope: 'machinery.out_of_scope',
  usedAge: 'machinery.used_age',
  plannedImport: 'machinery.planned_import_year',
  lineCapacity: 'machinery.line_capacity',
  lineConsumption: 'machinery.line_consumption',
  lineOecd: 'machinery.line_oecd_factories',
  standards: 'machinery.standards',
  evidence: 'machinery.evidence_document',
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
const mark = (e: { verified: boolean; note?: string }) => (e.verified ? { verified: true } : { verified: false, ...(e.note ? { note: e.note } : {}) });
/** The sentence every answer resting on an unverified entry carries. */
export const unverifiedSuffix = (e: { verified: boolean; note?: string }): string => (e.verified ? '' : ` Unverified: confirm against the gazette${e.note ? ` (${e.note})` : ''}.`);

const digitsOf = (hsCode: string): string => str(hsCode).replace(/\D/g, '');

/** The environmental-risk flag: from the project's group under the LEP 2020 when known. */
export function environmentalRiskOf(
  rulebook: RulebookContent,
  subject: Pick<ScreeningSubject, 'environmentalGroup' | 'environmentalRisk'>,
): { risk: boolean; basis: 'environmental_group' | 'declared'; group: EnvironmentalGroup | null; citation: string | null; verified: boolean; note?: string } {
  const g = subject?.environmentalGroup ?? null;
  const rule = g ? (rulebook.environmentalGroups ?? []).find((x) => x.group === g) : undefined;
  if (g && rule) return { risk: rule.risk, basis: 'environmental_group', group: g, citation: rule.citation, ...mark(rule) };
  return {
    risk: subject?.environmentalRisk === true,
    basis: 'declared',
    group: null,
    citation: null,
    verified: false,
    note: 'Declared by the investor without an environmental group (project registered before groups were asked): set the group under the Law on Environmental Protection 2020.',
  };
}

/**
 * The age limit for a machine: the most specific Appendix I heading its HS code falls under
 * (6 digits before 4), whatever the importer's sector; otherwise the general limit.
 */
export function ageLimitFor(rulebook: RulebookContent, hsCode: string): { maxAgeYears: number; citation: string; exception?: AgeException; verified: boolean; note?: string } {
  const um = rulebook.usedMachinery;
  const digits = digitsOf(hsCode);
  let best: AgeException | undefined;
  for (const x of um.ageExceptions ?? []) {
    if (digits.startsWith(x.hsHeading) && (!best || x.hsHeading.length > best.hsHeading.length)) best = x;
  }
  if (best) return { maxAgeYears: best.maxAgeYears, citation: best.citation, exception: best, ...mark(best) };
  return { maxAgeYears: um.age.maxAgeYears, citation: um.age.citation, ...mark(um.age) };
}

/** A declared standard starting with one of the prefixes, at a word boundary ("BS EN" yes, "BSI" no). */
function standardPrefix(standard: string, prefixes: readonly string[]): string | undefined {
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

const OPS = { lt: (a: number, b: number) => a < b, lte: (a: number, b: number) => a <= b, gt: (a: number, b: number) => a > b, gte: (a: number, b: number) => a >= b } as const;

/** Numeric conditions of an entry against the declared figures: met, not met, or not declared. */
function conditionsOf(entry: ListEntry, figures: Record<string, unknown> | undefined): { state: 'none' | 'met' | 'not_met' | 'undeclared'; text: string } {
  const conds = Array.isArray(entry.conditions) ? entry.conditions : [];
  if (conds.length === 0) return { state: 'none', text: '' };
  const parts: string[] = [];
  let undeclared = false;
  for (const c of conds) {
    const v = num(figures?.[c.figure]);
    if (v === undefined) {
      undeclared = true;
      parts.push(`${c.figure} not declared (condition: ${c.text})`);
      continue;
    }
    const holds = OPS[c.op]?.(v, c.value) ?? false;
    parts.push(`declared ${c.figure} = ${v} ${c.unit} ${holds ? 'meets' : 'does not meet'} the condition "${c.text}"`);
    if (!holds) return { state: 'not_met', text: parts.join('; ') };
  }
  return { state: undeclared ? 'undeclared' : 'met', text: parts.join('; ') };
}

function aliasPhrase(m: ListMatch): string {
  return `words matched: "${m.words ?? ''}", ${m.how === 'token_set' ? 'all words, in another order, of' : 'as'} "${m.alias ?? ''}"`;
}

/** List hits for one declared item; each list entry is reported at most once per item. */
function listFindings(rulebook: RulebookContent, kind: 'technology' | 'machinery', index: number, name: string, description: string, figures?: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  const label = kind === 'technology' ? 'Technology' : 'Machine';
  for (const list of LISTS) {
    const entries: ListEntry[] = Array.isArray(rulebook.technologyLists?.[list.key]) ? rulebook.technologyLists[list.key] : [];
    for (const entry of entries) {
      const byName = matchListEntry(name, entry);
      const byDescription = byName.matched || description === '' ? undefined : matchListEntry(description, entry);
      const m = byName.matched ? byName : byDescription;
      if (!m?.matched) continue;
      const where = byName.matched ? '' : ' (in its description)';
      const cond = conditionsOf(entry, figures);
      const quote = `the ${list.key} entry "${entry.wording}" (${entry.name}; field: ${entry.field})`;
      const ref = { kind, index, listEntryId: entry.id, list: list.key, entryWording: entry.wording, wordsMatched: m.words ?? '', alias: m.alias ?? '' };
      if (cond.state === 'not_met') {
        out.push({
          ruleId: RULE_IDS.listConditionNotMet,
          severity: 'info',
          subject: name,
          evidence: `${label} ${quoted(name)}${where} names ${quote} (${aliasPhrase(m)}), but ${cond.text}: the entry does not apply. ${entry.citation}.${unverifiedSuffix(entry)}`,
          citation: entry.citation,
          ...mark(entry),
          ref,
        });
        continue;
      }
      const condText = cond.state === 'met' ? `; ${cond.text}` : cond.state === 'undeclared' ? `; ${cond.text}: treated as within the entry until the figure is declared` : '';
      out.push({
        ruleId: list.ruleId,
        severity: list.severity,
        subject: name,
        evidence: `${label} ${quoted(name)}${where} matches ${quote} (${aliasPhrase(m)})${condText}. ${entry.citation}.${unverifiedSuffix(entry)}`,
        citation: entry.citation,
        ...mark(entry),
        ref,
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
  const digits = digitsOf(hs);
  const chapter = digits.length >= 2 ? Number(digits.slice(0, 2)) : undefined;
  const used = m?.condition === 'used';
  const label = `${used ? 'Used machine' : 'Machine'} ${quoted(name)} (HS ${hs || 'not declared'})`;
  const ref = { kind: 'machinery' as const, index };
  const add = (ruleId: string, severity: Severity, evidence: string, source: { citation: string; verified: boolean; note?: string }) =>
    out.push({ ruleId, severity, subject: name, evidence: `${evidence} ${source.citation}.${unverifiedSuffix(source)}`, citation: source.citation, ...mark(source), ref });

  // Names of machines are searched against the lists too ("mercury cell electrolyser").
  out.push(...listFindings(rulebook, 'machinery', index, name, ''));
  if (!used) {
    // New machines: only the standards, as information (Decision 18/2019 governs used ones).
    const std = um.standards;
    const declared = Array.isArray(m?.standards) ? m.standards.map(str).filter((s) => s.trim() !== '') : [];
    if (!declared.some((s) => standardPrefix(s, [...std.primary, ...std.fallback]))) {
      add(RULE_IDS.standards, 'info', `${label} is new and declares ${declared.length ? declared.map((s) => `"${s}"`).join(', ') : 'no standards'}; none is ${std.primary.join('/')} or a TCVN / G7 / Korean national standard. For information: the standards rule binds used machinery.`, std);
    }
    return out;
  }

  // Used goods banned from import are refused outright, whatever their age.
  const banned = (um.bannedUsedGoods ?? []).find((b) => b.hsPrefixes.some((p) => digits.startsWith(p)));
  if (banned) {
    add(RULE_IDS.bannedUsedGoods, 'prohibited', `${label} is ${banned.description.toLowerCase()} (HS ${banned.hsPrefixes.find((p) => digits.startsWith(p))}): used goods of this kind are banned from import and are refused outright, not aged.`, banned);
    return out;
  }
  if (chapter === undefined || !um.scope.hsChapters.includes(chapter)) {
    add(RULE_IDS.outOfScope, 'info', `${label} is outside HS chapters ${um.scope.hsChapters.join('/')}: Decision 18/2019's age, standards and line rules do not apply to it.`, um.scope);
    return out;
  }

  // Age against the (planned) import year, whole years; "không vượt quá": equal passes.
  const built = num(m?.manufactureYear);
  const planned = num(m?.plannedImportYear);
  const importYear = planned !== undefined && Number.isInteger(planned) ? planned : year;
  const limit = ageLimitFor(rulebook, hs);
  const limitText = limit.exception
    ? `the limit for HS heading ${limit.exception.hsHeading} (${limit.exception.description}, ${limit.exception.field}) is ${years(limit.maxAgeYears)}, whatever the importer's sector`
    : `the general limit is ${years(limit.maxAgeYears)} (HS ${hs} is not an Appendix I heading, whatever the importer's sector)`;
  let ageFailed = false;
  if (built === undefined || !Number.isInteger(built) || built > importYear) {
    add(RULE_IDS.usedAge, 'info', `${label} declares manufacture year ${built ?? 'none'}, which cannot be aged against import year ${importYear}; check it by hand.`, limit);
  } else {
    const age = importYear - built;
    const when = planned !== undefined ? `in its planned import year ${importYear}` : `in ${importYear}`;
    if (age > limit.maxAgeYears) {
      ageFailed = true;
      add(RULE_IDS.usedAge, 'outdated', `${label} built in ${built} is ${years(age)} old ${when}; ${limitText}.`, limit);
    } else if (planned === undefined && subject?.stage === 'investment_policy') {
      add(RULE_IDS.plannedImport, 'info', `${label} built in ${built} is ${years(age)} old in ${importYear} and within ${limitText.replace(/^the /, 'the ')}; no planned import year is declared: imported after ${built + limit.maxAgeYears} it would exceed the limit.`, limit);
    }
  }

  // Decree 31/2021 Art. 27 (no extension of an operating term): information only, used machines only.
  const te = um.termExtension;
  if (!ageFailed && built !== undefined && Number.isInteger(built) && built <= year && te.hsChapters.includes(chapter) && year - built > te.maxAgeYears) {
    add(RULE_IDS.hsCodeAge, 'info', `${label} (HS chapter ${chapter}) built in ${built} is ${years(year - built)} old in ${year}, more than ${years(te.maxAgeYears)}; an extension of the project's operating term would be refused on this ground.`, te);
  }

  // Standards: QCVN first; only where none applies TCVN or a G7 / Korean national standard.
  const std = um.standards;
  const declared = Array.isArray(m?.standards) ? m.standards.map(str).filter((s) => s.trim() !== '') : [];
  if (!declared.some((s) => standardPrefix(s, std.primary)) && !declared.some((s) => standardPrefix(s, std.fallback))) {
    const bare = declared.filter((s) => standardPrefix(s, std.notNational));
    add(
      RULE_IDS.standards,
      'outdated',
      `${label} declares ${declared.length ? declared.map((s) => `"${s}"`).join(', ') : 'no standards'}; it must meet ${std.primary.join('/')} or, where none applies, TCVN or a national standard of a G7 country or Korea (${std.fallback.join(', ')})${bare.length ? `; ${bare.map((s) => `"${s}"`).join(', ')} is an international or regional number, not a national standard` : ''}.`,
      std,
    );
  }

  // Technological lines.
  if (m?.partOfLine === true) {
    const ln = um.lines;
    const capacity = num(m?.remainingCapacityPct);
    const consumption = num(m?.consumptionVsDesignPct);
    const oecd = num(m?.oecdFactoriesInUse);
    if (capacity === undefined) add(RULE_IDS.lineCapacity, 'info', `${label} is part of a used technological line but declares no remaining capacity; the minimum is ${pct(ln.minRemainingCapacityPct)} of design.`, ln);
    else if (capacity < ln.minRemainingCapacityPct) add(RULE_IDS.lineCapacity, 'outdated', `${label}, part of a used technological line, has ${pct(capacity)} of its design capacity remaining; the minimum is ${pct(ln.minRemainingCapacityPct)}.`, ln);
    if (consumption === undefined) add(RULE_IDS.lineConsumption, 'info', `${label} is part of a used technological line but declares no consumption against design; the maximum is ${pct(ln.maxConsumptionVsDesignPct)}.`, ln);
    else if (consumption > ln.maxConsumptionVsDesignPct) add(RULE_IDS.lineConsumption, 'outdated', `${label}, part of a used technological line, consumes ${pct(consumption)} of its design material and energy consumption; the maximum is ${pct(ln.maxConsumptionVsDesignPct)}.`, ln);
    if (oecd === undefined) add(RULE_IDS.lineOecd, 'info', `${label} is part of a used technological line but does not say in how many factories in OECD countries the line is in use; at least ${ln.minOecdFactories} are required.`, ln);
    else if (oecd < ln.minOecdFactories) add(RULE_IDS.lineOecd, 'outdated', `${label}, part of a used technological line, is in use at ${oecd} factor${oecd === 1 ? 'y' : 'ies'} in OECD countries; at least ${ln.minOecdFactories} are required.`, ln);
  }

  // The evidence a used machine needs.
  const ev = um.evidence;
  const doc = str(m?.evidenceDocument);
  if (!ev.documents.some((d) => d.id === doc)) {
    add(RULE_IDS.evidence, 'info', `${label} needs ${ev.documents.map((d) => d.title.charAt(0).toLowerCase() + d.title.slice(1)).join(', or ')}; ${doc ? `"${doc}" is not one of these` : 'none is declared'} (evidenceDocument: ${ev.documents.map((d) => d.id).join(' | ')}).`, ev);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ordering

const KIND_ORDER = { technology: 0, machinery: 1, project: 2 } as const;

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

export function screen(input: { subject: ScreeningSubject; declaration: TechnologyDeclaration; rulebook: RulebookContent; year: number }): Finding[] {
  const { subject, declaration, rulebook, year } = input;
  const findings: Finding[] = [];
  const technologies = Array.isArray(declaration?.technologies) ? declaration.technologies : [];
  technologies.forEach((t, i) => findings.push(...listFindings(rulebook, 'technology', i, str(t?.name), str(t?.description), t?.figures && typeof t.figures === 'object' ? t.figures : undefined)));
  const machinery = Array.isArray(declaration?.machinery) ? declaration.machinery : [];
  machinery.forEach((m, i) => findings.push(...machineryFindings(rulebook, subject, year, m, i)));

  const env = environmentalRiskOf(rulebook, subject);
  if (env.risk) {
    const basis = env.basis === 'environmental_group' ? `is in environmental group ${env.group} (${env.citation})` : 'declares a risk of adverse environmental impact (no environmental group given)';
    findings.push({
      ruleId: RULE_IDS.environmentalRisk,
      severity: 'info',
      subject: 'project',
      evidence: `The project ${basis}, so it carries a risk of adverse environmental impact; with technology, that is a ground for review (Art. 13.2(b) at the policy stage, Art. 13.3 at the decision stage).${unverifiedSuffix(env)}`,
      citation: 'Law 07/2017/QH14, Arts. 13.2(b), 13.3',
      ...mark(env),
      ref: { kind: 'project', basis: env.basis, environmentalGroup: env.group },
    });
  }
  return findings.sort(compareFindings);
}

export interface RouteInputs {
  stage: Stage;
  decidingLevel: string;
  capitalSource: string;
  group: string;
  construction: boolean | null;
  restrictedTechnology: boolean;
  environmentalRisk: boolean;
  environmentalRiskBasis: 'environmental_group' | 'declared';
}

export interface AppraisalRoute {
  required: boolean;
  body: string;
  form: 'appraisal' | 'opinion' | 'none';
  council: boolean;
  /** The appraisal mode the workflow opens: a council only where the rule (or the clerk) asks. */
  mode: 'opinion' | 'council';
  procedure?: string;
  reason: string;
  citation: string;
  verified: boolean;
  note?: string;
  ruleId: string;
  rulebookVersion: string;
  effectiveFrom: string;
  inputs: RouteInputs;
  /** What the province does beyond the law, if anything: never "required". */
  practice: null | { ruleId: string; label: 'provincial_practice'; body: string; form: string; reason: string; citation: string; verified: boolean; note?: string };
}

function matches(when: RouteWhen, x: RouteInputs): boolean {
  if (when.stage && !when.stage.includes(x.stage)) return false;
  if (when.decidingLevel && !(when.decidingLevel as readonly string[]).includes(x.decidingLevel)) return false;
  if (when.capitalSource && !(when.capitalSource as readonly string[]).includes(x.capitalSource)) return false;
  if (when.group && !(when.group as readonly string[]).includes(x.group)) return false;
  if (when.construction !== undefined && x.construction !== when.construction) return false;
  if (when.restrictedTechnology !== undefined && x.restrictedTechnology !== when.restrictedTechnology) return false;
  if (when.environmentalRisk !== undefined && x.environmentalRisk !== when.environmentalRisk) return false;
  return true;
}

/**
 * The review route: the first `law` rule of the rulebook whose conditions hold, plus the first
 * matching `provincial_practice` rule when the law requires nothing. Restricted (and prohibited:
 * it must be reviewed to be refused) list findings and the environmental risk are inputs.
 */
export function appraisalRoute(input: { subject: ScreeningSubject; findings: Finding[]; rulebook: RulebookContent; version?: { version: string; effectiveFrom: string } }): AppraisalRoute {
  const { subject, rulebook } = input;
  const findings = Array.isArray(input.findings) ? input.findings : [];
  const env = environmentalRiskOf(rulebook, subject);
  const inputs: RouteInputs = {
    stage: subject.stage,
    decidingLevel: str(subject.decidingLevel),
    capitalSource: str(subject.capitalSource),
    group: str(subject.group),
    construction: typeof subject.construction === 'boolean' ? subject.construction : null,
    restrictedTechnology: findings.some((f) => f?.ruleId === RULE_IDS.restrictedList || f?.ruleId === RULE_IDS.prohibitedList),
    environmentalRisk: env.risk,
    environmentalRiskBasis: env.basis,
  };
  const rules: RoutingRule[] = Array.isArray(rulebook.routing?.rules) ? rulebook.routing.rules : [];
  const law = rules.find((r) => r.kind === 'law' && matches(r.when, inputs));
  const version = input.version ?? { version: rulebook.version, effectiveFrom: rulebook.effectiveFrom };
  if (!law) {
    // Validation requires a catch-all per stage; an old or hand-made rulebook may lack one.
    return {
      required: true, body: 'to be determined by the clerk', form: 'opinion', council: false, mode: 'opinion',
      reason: 'No routing rule of this rulebook version matches the project: the clerk determines the route.',
      citation: 'Law 07/2017/QH14, Art. 13', verified: false, note: 'No routing rule matched.', ruleId: 'none', rulebookVersion: version.version, effectiveFrom: version.effectiveFrom, inputs, practice: null,
    };
  }
  const practiceRule = law.then.required ? undefined : rules.find((r) => r.kind === 'provincial_practice' && matches(r.when, inputs));
  const prohibited = findings.some((f) => f?.ruleId === RULE_IDS.prohibitedList);
  // The route rests on the rule and, where used, on the environmental group's entry.
  const verified = law.verified && (!inputs.environmentalRisk || env.verified || law.when.environmentalRisk === undefined);
  const notes = [law.verified ? '' : law.note ?? '', verified === law.verified ? '' : env.note ?? ''].filter((n) => n !== '');
  return {
    required: law.then.required,
    body: law.then.body,
    form: law.then.form,
    council: law.then.council,
    mode: law.then.council ? 'council' : 'opinion',
    ...(law.then.procedure ? { procedure: law.then.procedure } : {}),
    reason: `${law.reason}${prohibited ? ' Screening found prohibited technology: it is reviewed so that it can be refused (Arts. 11, 12.2).' : ''}`,
    citation: law.citation,
    verified,
    ...(notes.length ? { note: notes.join(' ') } : {}),
    ruleId: law.id,
    rulebookVersion: version.version,
    effectiveFrom: version.effectiveFrom,
    inputs,
    practice: practiceRule
      ? { ruleId: practiceRule.id, label: 'provincial_practice', body: practiceRule.then.body, form: practiceRule.then.form, reason: practiceRule.reason, citation: practiceRule.citation, ...mark(practiceRule) }
      : null,
  };
}

/**
 * The dossier components the investor must upload: the stage's always-required components plus
 * the conditional ones whose trigger applies (Art. 16; "if any" items stay optional).
 */
export function requiredComponents(
  rulebook: RulebookContent,
  subject: Pick<ScreeningSubject, 'stage' | 'environmentalRisk' | 'environmentalGroup' | 'technologyContributedAsCapital'>,
): Array<{ id: string; title: string; citation: string; verified: boolean; note?: string }> {
  const components = rulebook.dossierComponents?.[subject?.stage] ?? [];
  const env = environmentalRiskOf(rulebook, subject);
  return components
    .filter(
      (c) =>
        c.required ||
        (c.requiredWhen === 'environmental_risk' && env.risk) ||
        (c.requiredWhen === 'technology_contributed_as_capital' && subject.technologyContributedAsCapital === true),
    )
    .map((c) => ({ id: c.id, title: c.title, citation: c.citation, ...mark(c) }));
}

/** Every component code of the stage (required or not): what a clerk may name as missing. */
export function componentCodes(rulebook: RulebookContent, stage: Stage): string[] {
  return (rulebook.dossierComponents?.[stage] ?? []).map((c) => c.id);
}
