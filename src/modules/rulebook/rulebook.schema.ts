/**
 * The rulebook: everything that changes with the law — which projects are reviewed, by whom and
 * in which form (routing rules), the prohibited / restricted / encouraged lists, the used-machinery
 * rules, dossier components, criteria and time limits. It is versioned data with a legal effective
 * date (Law 115/2025/QH15 took effect on 2026-04-01), validated here for shape (TypeBox) and for
 * meaning (unique ids, sane ranges, real dates, citations everywhere).
 *
 * Every entry carries `verified`: false means the entry's shape is sourced but its exact wording
 * or row was not checked against the gazette; such an entry must also carry a `note`, and every
 * answer that uses it (findings, routes, checklists) repeats both.
 *
 * Pure module: no I/O, no clock.
 */
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

// ---------------------------------------------------------------------------------------------
// Vocabulary shared with the workflow and screening

export const STAGES = ['investment_policy', 'investment_decision'] as const;
export type Stage = (typeof STAGES)[number];

export const PROJECT_GROUPS = ['national_key', 'A', 'B', 'C'] as const;
export type ProjectGroup = (typeof PROJECT_GROUPS)[number];

export const CAPITAL_SOURCES = ['state_budget', 'state_non_budget', 'private', 'foreign', 'mixed'] as const;
export type CapitalSource = (typeof CAPITAL_SOURCES)[number];

/** Who decides the investment policy (or the investment, at the decision stage). */
export const DECIDING_LEVELS = ['national_assembly', 'prime_minister', 'provincial_peoples_committee', 'investor'] as const;
export type DecidingLevel = (typeof DECIDING_LEVELS)[number];

/** Environmental groups of investment projects under the Law on Environmental Protection 2020. */
export const ENVIRONMENTAL_GROUPS = ['I', 'II', 'III', 'IV'] as const;
export type EnvironmentalGroup = (typeof ENVIRONMENTAL_GROUPS)[number];

/** Conditions under which an otherwise optional ("if any") dossier component becomes required. */
export const COMPONENT_CONDITIONS = ['technology_contributed_as_capital', 'environmental_risk'] as const;
export type ComponentCondition = (typeof COMPONENT_CONDITIONS)[number];

// ---------------------------------------------------------------------------------------------
// Building blocks

const Id = Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9][a-z0-9_.-]*$' });
/** Every rule the service applies must say where it comes from; an empty citation is rejected. */
const Citation = Type.String({ minLength: 1, maxLength: 500 });
const Text = Type.String({ minLength: 1, maxLength: 2000 });
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Lit = <const T extends readonly string[]>(values: T) =>
  Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>;

/** The verification mark every entry carries. */
const verification = { verified: Type.Boolean(), note: Type.Optional(Text) };
const Obj = <P extends Record<string, TSchema>>(props: P) => Type.Object(props, { additionalProperties: false });

export const Source = Obj({ id: Id, title: Text, citation: Citation, inForceFrom: Type.Optional(IsoDate), ...verification });
export type Source = Static<typeof Source>;

export const Sector = Obj({ code: Id, name: Text, nameVi: Type.Optional(Text) });
export type Sector = Static<typeof Sector>;

export const EnvironmentalGroupRule = Obj({ group: Lit(ENVIRONMENTAL_GROUPS), risk: Type.Boolean(), description: Text, citation: Citation, ...verification });
export type EnvironmentalGroupRule = Static<typeof EnvironmentalGroupRule>;

/** A numeric condition of a list entry, evaluated against a figure the investor declares. */
export const ListCondition = Obj({
  /** Key of the declared figure, e.g. `annual_capacity_m2` (technologies[i].figures). */
  figure: Id,
  op: Lit(['lt', 'lte', 'gt', 'gte'] as const),
  value: Type.Number(),
  unit: Text,
  /** The condition as the decree words it. */
  text: Text,
});
export type ListCondition = Static<typeof ListCondition>;

/**
 * One entry of the lists of Decree 76/2018 (Appendices I–III): the field, the Vietnamese wording
 * as the appendix has it, an English name and aliases (English or Vietnamese, with or without
 * diacritics: the matcher normalises them), and optional numeric conditions.
 */
export const ListEntry = Obj({
  id: Id,
  field: Text,
  wording: Text,
  name: Text,
  aliases: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 200 }),
  conditions: Type.Optional(Type.Array(ListCondition, { maxItems: 5 })),
  citation: Citation,
  ...verification,
});
export type ListEntry = Static<typeof ListEntry>;

/** An HS heading (4 or 6 digits) of Appendix I with its own age limit, whatever the importer's sector. */
export const AgeException = Obj({
  hsHeading: Type.String({ pattern: '^\\d{4}(\\d{2})?$' }),
  description: Text,
  field: Text,
  maxAgeYears: Type.Integer(),
  citation: Citation,
  ...verification,
});
export type AgeException = Static<typeof AgeException>;

export const BannedUsedGoods = Obj({ id: Id, description: Text, hsPrefixes: Type.Array(Type.String({ pattern: '^\\d{2,8}$' }), { minItems: 1 }), citation: Citation, ...verification });
export type BannedUsedGoods = Static<typeof BannedUsedGoods>;

export const UsedMachineryRules = Obj({
  /** Used machinery of these HS chapters, imported for production, is what Decision 18/2019 governs. */
  scope: Obj({ hsChapters: Type.Array(Type.Integer(), { minItems: 1 }), citation: Citation, ...verification }),
  bannedUsedGoods: Type.Array(BannedUsedGoods),
  /** Age = import year − manufacture year, whole years; "không vượt quá": equal passes. */
  age: Obj({ maxAgeYears: Type.Integer(), citation: Citation, ...verification }),
  ageExceptions: Type.Array(AgeException),
  standards: Obj({
    /** Prefixes that satisfy the rule outright (QCVN). */
    primary: Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { minItems: 1 }),
    /** National standards accepted only where no QCVN applies: TCVN, G7 and Korean national standards. */
    fallback: Type.Array(Type.String({ minLength: 1, maxLength: 20 })),
    /** International / regional numbers that are not a national standard on their own (ISO, IEC, EN). */
    notNational: Type.Array(Type.String({ minLength: 1, maxLength: 20 })),
    citation: Citation,
    ...verification,
  }),
  lines: Obj({
    minRemainingCapacityPct: Type.Number(),
    maxConsumptionVsDesignPct: Type.Number(),
    minOecdFactories: Type.Integer(),
    citation: Citation,
    ...verification,
  }),
  /** The document a used machine needs: manufacturer's certificate or an inspection certificate. */
  evidence: Obj({ documents: Type.Array(Obj({ id: Id, title: Text, titleVi: Type.Optional(Text) }), { minItems: 1 }), citation: Citation, ...verification }),
  /** Decree 31/2021 Art. 27: no extension of an operating term; information only, never for new machines. */
  termExtension: Obj({ hsChapters: Type.Array(Type.Integer()), maxAgeYears: Type.Integer(), citation: Citation, ...verification }),
});
export type UsedMachineryRules = Static<typeof UsedMachineryRules>;

/** Conditions a routing rule matches on; an absent key matches anything. */
export const RouteWhen = Obj({
  stage: Type.Optional(Type.Array(Lit(STAGES), { minItems: 1 })),
  decidingLevel: Type.Optional(Type.Array(Lit(DECIDING_LEVELS), { minItems: 1 })),
  capitalSource: Type.Optional(Type.Array(Lit(CAPITAL_SOURCES), { minItems: 1 })),
  group: Type.Optional(Type.Array(Lit(PROJECT_GROUPS), { minItems: 1 })),
  construction: Type.Optional(Type.Boolean()),
  /** A restricted-list (or prohibited-list: it must be reviewed to be refused) finding exists. */
  restrictedTechnology: Type.Optional(Type.Boolean()),
  environmentalRisk: Type.Optional(Type.Boolean()),
});
export type RouteWhen = Static<typeof RouteWhen>;

/**
 * A routing rule. Rules of kind `law` are tried in order and the first that matches is the legal
 * route; rules of kind `provincial_practice` add what the province does beyond the law, labelled so.
 */
export const RoutingRule = Obj({
  id: Id,
  kind: Lit(['law', 'provincial_practice'] as const),
  when: RouteWhen,
  then: Obj({
    required: Type.Boolean(),
    body: Text,
    form: Lit(['appraisal', 'opinion', 'none'] as const),
    /** A council only where the law (or the clerk) asks for one. */
    council: Type.Boolean(),
    /** Where the project goes instead when Chapter II does not apply (Public Investment Law…). */
    procedure: Type.Optional(Text),
  }),
  reason: Text,
  citation: Citation,
  ...verification,
});
export type RoutingRule = Static<typeof RoutingRule>;

export const Component = Obj({
  id: Id,
  title: Text,
  titleVi: Type.Optional(Text),
  /** False for the "(if any)" items of Art. 16; `requiredWhen` then names the trigger, if any. */
  required: Type.Boolean(),
  requiredWhen: Type.Optional(Lit(COMPONENT_CONDITIONS)),
  citation: Citation,
  ...verification,
});
export type Component = Static<typeof Component>;

export const Criterion = Obj({
  id: Id,
  title: Text,
  titleVi: Type.Optional(Text),
  /** A criterion that only applies to some projects (19.1(g): projects in high-tech zones). */
  appliesWhen: Type.Optional(Lit(['high_tech_zone'] as const)),
  citation: Citation,
  ...verification,
});
export type Criterion = Static<typeof Criterion>;

/** A statutory time limit of one step; the clock reads it from the project's pinned version. */
export const TimeLimit = Obj({
  id: Id,
  step: Id,
  description: Text,
  unit: Lit(['working_days', 'calendar_days'] as const),
  limit: Type.Integer(),
  appliesTo: Obj({
    stage: Type.Optional(Lit(STAGES)),
    group: Type.Optional(Type.Array(Lit(PROJECT_GROUPS), { minItems: 1 })),
    capitalSource: Type.Optional(Type.Array(Lit(CAPITAL_SOURCES), { minItems: 1 })),
  }),
  /** Art. 18.1(d): the decision-stage limits may be extended, once, by at most the same period. */
  extension: Type.Optional(Obj({ maxTimes: Type.Integer(), maxDays: Type.Integer(), requires: Text })),
  citation: Citation,
  ...verification,
});
export type TimeLimit = Static<typeof TimeLimit>;

export const AppraisalRules = Obj({
  opinion: Obj({ minAppraisers: Type.Integer() }),
  council: Obj({
    minMembers: Type.Integer(),
    /** Share of members whose written opinions must be in. Stored as 2/3 exactly, not 0.67. */
    quorumFraction: Type.Number(),
    /** The conclusion needs STRICTLY MORE than this share of the submitted opinions. */
    majorityFraction: Type.Number(),
  }),
  /** `local_policy`: no statutory source (Decree 76/2018 does not detail Chapter II). */
  basis: Lit(['law', 'local_policy'] as const),
  citation: Citation,
  ...verification,
});
export type AppraisalRules = Static<typeof AppraisalRules>;

// ---------------------------------------------------------------------------------------------
// The whole rulebook

export const RulebookContent = Obj({
  version: Type.String({ pattern: '^\\d{4}\\.\\d+$' }),
  title: Text,
  effectiveFrom: IsoDate,
  /** What this version corrects or replaces, in words (shown in the list of versions). */
  summary: Type.Optional(Text),
  sources: Type.Array(Source, { minItems: 1 }),
  sectors: Type.Array(Sector, { minItems: 1 }),
  environmentalGroups: Type.Array(EnvironmentalGroupRule, { minItems: 4, maxItems: 4 }),
  routing: Obj({ rules: Type.Array(RoutingRule, { minItems: 1 }) }),
  technologyLists: Obj({ prohibited: Type.Array(ListEntry), restricted: Type.Array(ListEntry), encouraged: Type.Array(ListEntry) }),
  usedMachinery: UsedMachineryRules,
  dossierComponents: Obj({ investment_policy: Type.Array(Component), investment_decision: Type.Array(Component) }),
  criteria: Obj({ investment_policy: Type.Array(Criterion), investment_decision: Type.Array(Criterion) }),
  timeLimits: Type.Array(TimeLimit),
  appraisal: AppraisalRules,
});
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

export type RulebookValidation = { ok: true; value: RulebookContent } | { ok: false; errors: RulebookError[] };

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

/** True if the alias still has letters or digits once diacritics are stripped (the matcher's view). */
function hasMatchableText(alias: string): boolean {
  return /[a-z0-9]/i.test(alias.replace(/[đĐ]/g, 'd').normalize('NFKD').replace(/\p{M}/gu, ''));
}

/** Shape checks first; meaning checks only run on well-shaped content. */
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

/** Every object with a `verified` mark, with its path (for the "unverified needs a note" rule). */
function* marked(value: unknown, path: string): Generator<{ path: string; entry: { verified: boolean; note?: string } }> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* marked(value[i], `${path}[${i}]`);
    return;
  }
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.verified === 'boolean') yield { path, entry: o as { verified: boolean; note?: string } };
    for (const [k, v] of Object.entries(o)) if (v && typeof v === 'object') yield* marked(v, path === '' ? k : `${path}.${k}`);
  }
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
  const unique = (items: Array<{ path: string; id: string }>, what: string) => {
    const first = new Map<string, string>();
    for (const { path, id } of items) {
      const prior = first.get(id);
      if (prior !== undefined) err(path, `duplicate ${what} "${id}" (first used at ${prior})`);
      else first.set(id, path);
    }
  };
  const blank = (path: string, c: string, what = 'citation') => {
    if (c.trim() === '') err(path, `${what} must not be blank`);
  };

  if (!isValidIsoDate(r.effectiveFrom)) err('effectiveFrom', `"${r.effectiveFrom}" is not a valid YYYY-MM-DD date`);
  blank('title', r.title, 'title');

  // An unverified entry must say what is unverified.
  for (const { path, entry } of marked(r, '')) {
    if (!entry.verified && !(entry.note && entry.note.trim() !== '')) err(`${path}.note`, 'an unverified entry must carry a note saying what to confirm');
  }

  unique(r.sources.map((s, i) => ({ path: `sources[${i}].id`, id: s.id })), 'source id');
  r.sources.forEach((s, i) => {
    blank(`sources[${i}].citation`, s.citation);
    if (s.inForceFrom !== undefined && !isValidIsoDate(s.inForceFrom)) err(`sources[${i}].inForceFrom`, `"${s.inForceFrom}" is not a valid date`);
    // Law 67/2014/QH13 was replaced on 2021-01-01 and is never the basis of a current rule.
    if (/67\/2014/.test(s.citation)) err(`sources[${i}].citation`, 'Law 67/2014/QH13 was replaced by the Investment Law 61/2020/QH14; cite the law in force');
  });

  unique(r.sectors.map((s, i) => ({ path: `sectors[${i}].code`, id: s.code })), 'sector code');
  unique(r.environmentalGroups.map((g, i) => ({ path: `environmentalGroups[${i}].group`, id: g.group })), 'environmental group');

  // Routing: unique ids, and at least one law rule for each stage so every project gets a route.
  const rules = r.routing.rules;
  unique(rules.map((x, i) => ({ path: `routing.rules[${i}].id`, id: x.id })), 'routing rule id');
  rules.forEach((x, i) => {
    blank(`routing.rules[${i}].citation`, x.citation);
    if (x.then.form === 'none' && x.then.required) err(`routing.rules[${i}].then.form`, 'a required review needs a form (appraisal or opinion)');
    if (x.kind === 'provincial_practice' && x.then.required) err(`routing.rules[${i}].then.required`, 'provincial practice is never "required by law"; set required to false');
  });
  for (const stage of STAGES) {
    const catchAll = rules.some((x) => x.kind === 'law' && (x.when.stage === undefined || x.when.stage.includes(stage)) && Object.keys(x.when).every((k) => k === 'stage'));
    if (!catchAll) err('routing.rules', `no catch-all law rule for stage ${stage} (a rule whose only condition is the stage): some projects would get no route`);
  }

  // Lists: ids unique across all three lists, so a finding's listEntryId is unambiguous.
  const listIds: Array<{ path: string; id: string }> = [];
  for (const list of ['prohibited', 'restricted', 'encouraged'] as const) {
    r.technologyLists[list].forEach((e, i) => {
      const base = `technologyLists.${list}[${i}]`;
      listIds.push({ path: `${base}.id`, id: e.id });
      blank(`${base}.citation`, e.citation);
      if (!hasMatchableText(e.wording)) err(`${base}.wording`, 'must contain letters or digits');
      if (!hasMatchableText(e.name)) err(`${base}.name`, 'must contain letters or digits');
      e.aliases.forEach((a, j) => {
        if (!hasMatchableText(a)) err(`${base}.aliases[${j}]`, 'must contain letters or digits (it would match any text)');
      });
      (e.conditions ?? []).forEach((c, j) => {
        if (!Number.isFinite(c.value)) err(`${base}.conditions[${j}].value`, 'must be a finite number');
      });
    });
  }
  unique(listIds, 'technology list entry id');

  // Used machinery
  const um = r.usedMachinery;
  um.scope.hsChapters.forEach((c, i) => inRange(`usedMachinery.scope.hsChapters[${i}]`, c, 1, 99));
  inRange('usedMachinery.age.maxAgeYears', um.age.maxAgeYears, 1, 50);
  inRange('usedMachinery.lines.minRemainingCapacityPct', um.lines.minRemainingCapacityPct, 0, 200, true);
  inRange('usedMachinery.lines.maxConsumptionVsDesignPct', um.lines.maxConsumptionVsDesignPct, 0, 200, true);
  inRange('usedMachinery.lines.minOecdFactories', um.lines.minOecdFactories, 0, 100);
  inRange('usedMachinery.termExtension.maxAgeYears', um.termExtension.maxAgeYears, 1, 50);
  unique(um.bannedUsedGoods.map((b, i) => ({ path: `usedMachinery.bannedUsedGoods[${i}].id`, id: b.id })), 'banned goods id');
  // A heading listed twice would make its limit depend on list order.
  unique(um.ageExceptions.map((x, i) => ({ path: `usedMachinery.ageExceptions[${i}].hsHeading`, id: x.hsHeading })), 'HS heading');
  um.ageExceptions.forEach((x, i) => {
    inRange(`usedMachinery.ageExceptions[${i}].maxAgeYears`, x.maxAgeYears, 1, 50);
    if (!um.scope.hsChapters.includes(Number(x.hsHeading.slice(0, 2)))) err(`usedMachinery.ageExceptions[${i}].hsHeading`, `heading ${x.hsHeading} is outside the HS chapters in scope`);
  });
  for (const key of ['primary', 'fallback', 'notNational'] as const) {
    um.standards[key].forEach((p, i) => {
      if (!/^[A-Za-z][A-Za-z0-9 ]*$/.test(p)) err(`usedMachinery.standards.${key}[${i}]`, `standard prefix "${p}" must be letters/digits starting with a letter`);
    });
  }
  const national = new Set([...um.standards.primary, ...um.standards.fallback].map((p) => p.toUpperCase()));
  um.standards.notNational.forEach((p, i) => {
    if (national.has(p.toUpperCase())) err(`usedMachinery.standards.notNational[${i}]`, `"${p}" is also listed as an accepted national standard`);
  });

  // Dossier components: unique per stage (the same component legitimately appears at both stages).
  for (const stage of STAGES) {
    const comps = r.dossierComponents[stage];
    unique(comps.map((c, i) => ({ path: `dossierComponents.${stage}[${i}].id`, id: c.id })), 'component id');
    comps.forEach((c, i) => {
      const base = `dossierComponents.${stage}[${i}]`;
      blank(`${base}.citation`, c.citation);
      if (/67\/2014/.test(c.citation)) err(`${base}.citation`, 'Law 67/2014/QH13 is no longer in force; cite the Investment Law in force');
      if (c.required && c.requiredWhen !== undefined) err(`${base}.requiredWhen`, 'a component that is always required cannot also be conditional; set required to false');
    });
  }

  // Criteria: unique across both stages, so an opinion's criterion id names exactly one criterion.
  unique(STAGES.flatMap((stage) => r.criteria[stage].map((c, i) => ({ path: `criteria.${stage}[${i}].id`, id: c.id }))), 'criterion id');
  for (const stage of STAGES) r.criteria[stage].forEach((c, i) => blank(`criteria.${stage}[${i}].citation`, c.citation));

  unique(r.timeLimits.map((t, i) => ({ path: `timeLimits[${i}].id`, id: t.id })), 'time limit id');
  r.timeLimits.forEach((t, i) => {
    const base = `timeLimits[${i}]`;
    inRange(`${base}.limit`, t.limit, 1, 365);
    blank(`${base}.citation`, t.citation);
    if (t.extension) {
      inRange(`${base}.extension.maxTimes`, t.extension.maxTimes, 1, 10);
      inRange(`${base}.extension.maxDays`, t.extension.maxDays, 1, 365);
    }
  });

  inRange('appraisal.opinion.minAppraisers', r.appraisal.opinion.minAppraisers, 1, 50);
  inRange('appraisal.council.minMembers', r.appraisal.council.minMembers, 1, 100);
  inRange('appraisal.council.quorumFraction', r.appraisal.council.quorumFraction, 0, 1, true);
  const maj = r.appraisal.council.majorityFraction;
  if (!Number.isFinite(maj) || maj < 0 || maj >= 1) err('appraisal.council.majorityFraction', `must be at least 0 and less than 1 (got ${maj})`);
  blank('appraisal.citation', r.appraisal.citation);

  return errors;
}
