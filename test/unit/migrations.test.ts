import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('committed migrations', () => {
  it('match db/schema.ts (drizzle-kit finds nothing left to generate)', { timeout: 60_000 }, async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    try {
      await fs.cp(path.join(ROOT, 'db', 'migrations'), out, { recursive: true });
      // drizzle-kit wants paths relative to the working directory.
      const config = path.join(out, 'drizzle.config.ts');
      await fs.writeFile(
        config,
        `export default { dialect: 'postgresql', schema: './db/schema.ts', out: ${JSON.stringify(path.relative(ROOT, out))} };\n`,
      );
      const before = (await fs.readdir(out)).sort();
      const { stdout, stderr } = await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'drizzle-kit'), ['generate', '--config', config], { cwd: ROOT });
      expect(stdout + stderr).toContain('No schema changes');
      expect((await fs.readdir(out)).sort()).toEqual(before);
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });
});
