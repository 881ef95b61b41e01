/**
 * The rulebook: the legal thresholds, technology lists, dossier components, appraisal criteria and
 * time limits that screening and the workflow apply. It is versioned data with an effective date
 * (the law changes: Law 115/2025/QH15, Decree 96/2026), so it is validated here both for shape
 * (TypeBox) and for meaning (unique ids, sane ranges, real dates, citations everywhere).
 *
 * Pure module: no I/O, no clock.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

// ---------------------------------------------------------------------------------------------
// Vocabulary shared with the workflow and screening

export const STAGES = ['investment_policy', 'investment_decision'] as const;
export type Stage = (typeof STAGES)[number];

export const PROJECT_GROUPS = ['national_key', 'A', 'B', 'C'] as const;
export type ProjectGroup = (typeof PROJECT_GROUPS)[number];

/** Conditions under which an otherwise optional ("if any") dossier component becomes required. */
export const COMPONENT_CONDITIONS = ['technology_contributed_as_capital', 'environmental_risk'] as const;
export type ComponentCondition = (typeof COMPONENT_CONDITIONS)[number];

// ---------------------------------------------------------------------------------------------
// Building blocks

const Id = Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9][a-z0-9_.-]*$' });
/** Every rule the service applies must say where it comes from; an empty citation is rejected. */
const Citation = Type.String({ minLength: 1, maxLength: 500 });
const Text = Type.String({ minLength: 1, maxLength: 1000 });
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

export const Source = Type.Object(
  { id: Id, title: Text, citation: Citation },
  { additionalProperties: false },
);
export type Source = Static<typeof Source>;

export const Sector = Type.Object(
  { code: Id, name: Text, nameVi: Type.Optional(Text) },
  { additionalProperties: false },
);
export type Sector = Static<typeof Sector>;

/**
 * One entry of the prohibited / restricted / encouraged technology lists. `aliases` carry the
 * English and Vietnamese spellings the matcher looks for; write Vietnamese aliases WITH
 * diacritics, because the matcher treats them as fixed phrases (Vietnamese syllables reorder into
 * different words, so order-free matching would over-match).
 */
export const ListEntry = Type.Object(
  {
    id: Id,
    name: Text,
    nameVi: Type.Optional(Text),
    aliases: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 200 }),
    citation: Citation,
    note: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export type ListEntry = Static<typeof ListEntry>;

export const SectorException = Type.Object(
  {
    sectors: Type.Array(Id, { minItems: 1 }),
    maxAgeYears: Type.Integer(),
    citation: Citation,
    note: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export type SectorException = Static<typeof SectorException>;

export const UsedMachineryRules = Type.Object(
  {
    /** Decision 18/2019 Art. 6.1: equipment age (manufacture year to import year) ≤ this. */
    maxAgeYears: Type.Integer(),
    sectorExceptions: Type.Array(SectorException),
    /** Technological lines: remaining capacity or efficiency ≥ this % of design. */
    minRemainingCapacityPct: Type.Number(),
    /** Technological lines: material / energy consumption ≤ this % of design (115 = +15%). */
    maxConsumptionVsDesignPct: Type.Number(),
    /** Citation for the two line thresholds above. */
    lineCitation: Citation,
    acceptedStandards: Type.Object(
      {
        /** Prefixes of standards that satisfy the rule outright (QCVN). */
        primary: Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { minItems: 1 }),
        /** Prefixes accepted where no QCVN exists: TCVN and G7 / Korean national standards. */
        fallback: Type.Array(Type.String({ minLength: 1, maxLength: 20 })),
        citation: Citation,
      },
      { additionalProperties: false },
    ),
    /** HS chapters to which the Decree 31/2021 Art. 27 age test applies (84, 85). */
    hsChaptersAgeRule: Type.Array(Type.Integer()),
    hsAgeRuleMaxYears: Type.Integer(),
    hsAgeRuleCitation: Citation,
    citation: Citation,
  },
  { additionalProperties: false },
);
export type UsedMachineryRules = Static<typeof UsedMachineryRules>;

export const Component = Type.Object(
  {
    id: Id,
    title: Text,
    titleVi: Type.Optional(Text),
    /** False for the "(if any)" items of Art. 16; `requiredWhen` then names the trigger, if any. */
    required: Type.Boolean(),
    requiredWhen: Type.Optional(
      Type.Union([Type.Literal('technology_contributed_as_capital'), Type.Literal('environmental_risk')]),
    ),
    citation: Citation,
  },
  { additionalProperties: false },
);
export type Component = Static<typeof Component>;

export const Criterion = Type.Object(
  { id: Id, title: Text, titleVi: Type.Optional(Text), citation: Citation },
  { additionalProperties: false },
);
export type Criterion = Static<typeof Criterion>;

export const TimeLimit = Type.Object(
  {
    id: Id,
    description: Text,
    days: Type.Integer(),
    unit: Type.Union([Type.Literal('working_days'), Type.Literal('calendar_days')]),
    appliesTo: Type.Object(
      {
        stage: Type.Optional(Type.Union([Type.Literal('investment_policy'), Type.Literal('investment_decision')])),
        group: Type.Optional(
          Type.Union([Type.Literal('national_key'), Type.Literal('A'), Type.Literal('B'), Type.Literal('C')]),
        ),
      },
      { additionalProperties: false },
    ),
    /** Art. 18: the decision-stage limits may be extended once, by at most the same period. */
    extension: Type.Optional(
      Type.Object({ maxTimes: Type.Integer(), maxDays: Type.Integer() }, { additionalProperties: false }),
    ),
    citation: Citation,
    note: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export type TimeLimit = Static<typeof TimeLimit>;

export const AppraisalRules = Type.Object(
  {
    opinion: Type.Object({ minAppraisers: Type.Integer() }, { additionalProperties: false }),
    council: Type.Object(
      {
        minMembers: Type.Integer(),
        /**
         * Share of members whose written opinions must be in for the council to conclude. Stored
         * as 2/3 exactly, not 0.67: 0.67 × 6 members would demand 5 opinions instead of 4.
         */
        quorumFraction: Type.Number(),
        /** The conclusion needs STRICTLY MORE than this share of the submitted opinions. */
        majorityFraction: Type.Number(),
      },
      { additionalProperties: false },
    ),
    citation: Citation,
  },
  { additionalProperties: false },
);
export type AppraisalRules = Static<typeof AppraisalRules>;

// ---------------------------------------------------------------------------------------------
// The whole rulebook

export const RulebookContent = Type.Object(
  {
    version: Type.String({ pattern: '^\\d{4}\\.\\d+$' }),
    title: Text,
    effectiveFrom: IsoDate,
    sources: Type.Array(Source, { minItems: 1 }),
    sectors: Type.Array(Sector, { minItems: 1 }),
    technologyLists: Type.Object(
      {
        prohibited: Type.Array(ListEntry),
        restricted: Type.Array(ListEntry),
        encouraged: Type.Array(ListEntry),
      },
      { additionalProperties: false },
    ),
    usedMachinery: UsedMachineryRules,
    dossierComponents: Type.Object(
      { investment_policy: Type.Array(Component), investment_decision: Type.Array(Component) },
      { additionalProperties: false },
    ),
    criteria: Type.Object(
      { investment_policy: Type.Array(Criterion), investment_decision: Type.Array(Criterion) },
      { additionalProperties: false },
    ),
    timeLimits: Type.Array(TimeLimit),
    appraisal: AppraisalRules,
  },
  { additionalProperties: false },
);
export type RulebookContent = Static<typeof RulebookContent>;

// Compiled once at module load; the compiled checker is pure.
const compiled = TypeCompiler.Compile(RulebookContent);

// ---------------------------------------------------------------------------------------------
// Validation

export interface RulebookError {
  /** Dotted path into the content, e.g. `technologyLists.prohibited[2].citation`. */
  path: string;
  message: string;
}

export type RulebookValidation =
  | { ok: true; value: RulebookContent }
  | { ok: false; errors: RulebookError[] };

/** JSON pointer (`/a/0/b`) → `a[0].b`, which is what a person editing the rulebook looks for. */
function pointerToPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(root)';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** A real calendar date, checked arithmetically (no Date parsing quirks, no clock). */
export function isValidIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] ?? 0;
  return d <= days;
}

/** True if the alias still has letters or digits once diacritics are stripped (the matcher's view);
 * an alias that normalises to nothing would match every text. */
function hasMatchableText(alias: string): boolean {
  return /[a-z0-9]/i.test(alias.replace(/[đĐ]/g, 'd').normalize('NFKD').replace(/\p{M}/gu, ''));
}

/**
 * Shape checks first; meaning checks only run on well-shaped content (they would otherwise trip
 * over missing fields and drown the real error in noise).
 */
export function validateRulebook(content: unknown): RulebookValidation {
  if (!compiled.Check(content)) {
    const errors: RulebookError[] = [];
    const seen = new Set<string>();
    for (const e of compiled.Errors(content)) {
      const path = pointerToPath(e.path);
      const key = `${path}\u0000${e.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push({ path, message: e.message });
      if (errors.length >= 100) break;
    }
    return { ok: false, errors };
  }
  const errors = semanticErrors(content);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: content };
}

function semanticErrors(r: RulebookContent): RulebookError[] {
  const errors: RulebookError[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });

  const inRange = (path: string, v: number, lo: number, hi: number, loExclusive = false) => {
    const okLo = loExclusive ? v > lo : v >= lo;
    if (!Number.isFinite(v) || !okLo || v > hi) {
      err(path, `must be ${loExclusive ? 'greater than' : 'at least'} ${lo} and at most ${hi} (got ${v})`);
    }
  };

  /** Reports every duplicate after the first, pointing at the duplicate itself. */
  const unique = (items: Array<{ path: string; id: string }>, what: string) => {
    const first = new Map<string, string>();
    for (const { path, id } of items) {
      const prior = first.get(id);
      if (prior !== undefined) err(path, `duplicate ${what} "${id}" (first used at ${prior})`);
      else first.set(id, path);
    }
  };

  const blankCitation = (path: string, c: string) => {
    if (c.trim() === '') err(path, 'citation must not be blank');
  };

  // Header
  if (!isValidIsoDate(r.effectiveFrom)) err('effectiveFrom', `"${r.effectiveFrom}" is not a valid YYYY-MM-DD date`);
  if (r.title.trim() === '') err('title', 'must not be blank');

  unique(r.sources.map((s, i) => ({ path: `sources[${i}].id`, id: s.id })), 'source id');
  r.sources.forEach((s, i) => blankCitation(`sources[${i}].citation`, s.citation));

  unique(r.sectors.map((s, i) => ({ path: `sectors[${i}].code`, id: s.code })), 'sector code');
  const sectorCodes = new Set(r.sectors.map((s) => s.code));

  // Technology lists: ids unique across all three lists, so a finding's listEntryId is unambiguous.
  const listIds: Array<{ path: string; id: string }> = [];
  for (const list of ['prohibited', 'restricted', 'encouraged'] as const) {
    r.technologyLists[list].forEach((e, i) => {
      const base = `technologyLists.${list}[${i}]`;
      listIds.push({ path: `${base}.id`, id: e.id });
      blankCitation(`${base}.citation`, e.citation);
      if (!hasMatchableText(e.name)) err(`${base}.name`, 'must contain letters or digits');
      e.aliases.forEach((a, j) => {
        if (!hasMatchableText(a)) err(`${base}.aliases[${j}]`, 'must contain letters or digits (it would match any text)');
      });
    });
  }
  unique(listIds, 'technology list entry id');

  // Used machinery thresholds
  const um = r.usedMachinery;
  inRange('usedMachinery.maxAgeYears', um.maxAgeYears, 1, 50);
  inRange('usedMachinery.minRemainingCapacityPct', um.minRemainingCapacityPct, 0, 200, true);
  inRange('usedMachinery.maxConsumptionVsDesignPct', um.maxConsumptionVsDesignPct, 0, 200, true);
  inRange('usedMachinery.hsAgeRuleMaxYears', um.hsAgeRuleMaxYears, 1, 50);
  blankCitation('usedMachinery.citation', um.citation);
  blankCitation('usedMachinery.lineCitation', um.lineCitation);
  blankCitation('usedMachinery.hsAgeRuleCitation', um.hsAgeRuleCitation);
  blankCitation('usedMachinery.acceptedStandards.citation', um.acceptedStandards.citation);
  um.hsChaptersAgeRule.forEach((c, i) => inRange(`usedMachinery.hsChaptersAgeRule[${i}]`, c, 1, 99));
  for (const key of ['primary', 'fallback'] as const) {
    um.acceptedStandards[key].forEach((p, i) => {
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(p)) {
        err(`usedMachinery.acceptedStandards.${key}[${i}]`, `standard prefix "${p}" must be letters/digits starting with a letter`);
      }
    });
  }
  // A sector in two exceptions would make its age limit depend on list order.
  const exceptionSector = new Map<string, number>();
  um.sectorExceptions.forEach((x, i) => {
    const base = `usedMachinery.sectorExceptions[${i}]`;
    inRange(`${base}.maxAgeYears`, x.maxAgeYears, 1, 50);
    blankCitation(`${base}.citation`, x.citation);
    x.sectors.forEach((code, j) => {
      if (!sectorCodes.has(code)) err(`${base}.sectors[${j}]`, `unknown sector code "${code}"`);
      const prior = exceptionSector.get(code);
      if (prior !== undefined && prior !== i) {
        err(`${base}.sectors[${j}]`, `sector "${code}" already has an exception at usedMachinery.sectorExceptions[${prior}]`);
      } else exceptionSector.set(code, i);
    });
  });

  // Dossier components: unique per stage (the same component legitimately appears at both stages).
  for (const stage of STAGES) {
    const comps = r.dossierComponents[stage];
    unique(comps.map((c, i) => ({ path: `dossierComponents.${stage}[${i}].id`, id: c.id })), 'component id');
    comps.forEach((c, i) => {
      const base = `dossierComponents.${stage}[${i}]`;
      blankCitation(`${base}.citation`, c.citation);
      if (c.required && c.requiredWhen !== undefined) {
        err(`${base}.requiredWhen`, 'a component that is always required cannot also be conditional; set required to false');
      }
    });
  }

  // Criteria: unique across both stages, so an opinion's criterion id names exactly one criterion.
  unique(
    STAGES.flatMap((stage) => r.criteria[stage].map((c, i) => ({ path: `criteria.${stage}[${i}].id`, id: c.id }))),
    'criterion id',
  );
  for (const stage of STAGES) {
    r.criteria[stage].forEach((c, i) => blankCitation(`criteria.${stage}[${i}].citation`, c.citation));
  }

  // Time limits
  unique(r.timeLimits.map((t, i) => ({ path: `timeLimits[${i}].id`, id: t.id })), 'time limit id');
  r.timeLimits.forEach((t, i) => {
    const base = `timeLimits[${i}]`;
    inRange(`${base}.days`, t.days, 1, 365);
    blankCitation(`${base}.citation`, t.citation);
    if (t.extension) {
      inRange(`${base}.extension.maxTimes`, t.extension.maxTimes, 1, 10);
      inRange(`${base}.extension.maxDays`, t.extension.maxDays, 1, 365);
    }
  });

  // Appraisal
  inRange('appraisal.opinion.minAppraisers', r.appraisal.opinion.minAppraisers, 1, 50);
  inRange('appraisal.council.minMembers', r.appraisal.council.minMembers, 1, 100);
  inRange('appraisal.council.quorumFraction', r.appraisal.council.quorumFraction, 0, 1, true);
  // "Strictly more than" a share of 1 could never be reached.
  const maj = r.appraisal.council.majorityFraction;
  if (!Number.isFinite(maj) || maj < 0 || maj >= 1) {
    err('appraisal.council.majorityFraction', `must be at least 0 and less than 1 (got ${maj})`);
  }
  blankCitation('appraisal.citation', r.appraisal.citation);

  return errors;
}
