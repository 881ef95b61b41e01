import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderMarkdown } from '../workflows/appraisal/appraisal.diagram';

const out = path.resolve(import.meta.dirname, '..', 'docs', 'appraisal-machine.md');
writeFileSync(out, renderMarkdown());
process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
