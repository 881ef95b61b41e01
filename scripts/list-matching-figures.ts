/**
 * Prints precision and recall of the list matcher on the test corpus, per shipped rulebook:
 *   npm run lists:figures
 */
import { CORPUS } from '../test/fixtures/technology-names.corpus';
import { SHIPPED_RULEBOOKS } from '../src/modules/rulebook/rulebook-service';
import { listMatchingFigures } from '../src/modules/screening/list-matching-figures';

const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
for (const rb of SHIPPED_RULEBOOKS) {
  const f = listMatchingFigures(CORPUS, [...rb.technologyLists.prohibited, ...rb.technologyLists.restricted]);
  console.log(`rulebook ${rb.version}: ${f.cases} names (${f.positives} positive, ${f.negatives} negative)`);
  console.log(`  precision ${pc(f.precision)}  recall ${pc(f.recall)}  negatives not flagged ${pc(f.negativesPassed)}`);
  for (const [kind, v] of Object.entries(f.byKind)) console.log(`  ${kind}: ${v.correct}/${v.cases}`);
  for (const m of f.mistakes) console.log(`  miss: "${m.text}" expected ${m.expect ?? 'none'}, got ${m.got.join(', ') || 'none'}`);
}
