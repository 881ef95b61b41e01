// `npm run build`: compiles src/, db/ and workflows/ to JavaScript in dist/, one output file per
// source file, so the files the service loads by path (the audit worker thread, the embedded S3
// child process, db/migrations, assets/fonts, package.json) sit where they do in the source tree.
// esbuild transpiles (tsc --noEmit checks types in `npm test`); relative imports, written without
// extensions for the Bundler resolution the sources use, are rewritten to the emitted .js files.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist');
const SOURCE_DIRS = ['src', 'db', 'workflows'];

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The source file an extensionless relative specifier names (as TypeScript's Bundler resolution finds it). */
function resolveSource(fromDir, specifier) {
  const base = path.resolve(fromDir, specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const relativeImportsToJs = {
  name: 'relative-imports-to-js',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const target = resolveSource(args.resolveDir, args.path);
      if (!target) return { errors: [{ text: `cannot resolve ${args.path} from ${args.importer}` }] };
      if (!target.endsWith('.ts')) return { path: args.path, external: true }; // .json and the like: loaded as is
      let rel = path.relative(path.dirname(args.importer), target).replace(/\.ts$/, '.js').split(path.sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { path: rel, external: true };
    });
  },
};

fs.rmSync(out, { recursive: true, force: true });
const entryPoints = SOURCE_DIRS.flatMap((d) => sources(path.join(root, d)));
await build({
  entryPoints,
  outdir: out,
  outbase: root,
  bundle: true, // only so the plugin sees every import; each import is external, one file per source
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [relativeImportsToJs],
});

// Files loaded by path at run time.
fs.cpSync(path.join(root, 'db', 'migrations'), path.join(out, 'db', 'migrations'), { recursive: true });
fs.cpSync(path.join(root, 'assets'), path.join(out, 'assets'), { recursive: true });
fs.cpSync(path.join(root, 'src', 'web', 'static'), path.join(out, 'src', 'web', 'static'), { recursive: true }); // the pages' stylesheet
fs.copyFileSync(path.join(root, 'package.json'), path.join(out, 'package.json'));
console.log(`built ${entryPoints.length} files into ${path.relative(process.cwd(), out) || out}`);
