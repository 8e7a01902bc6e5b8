// Builds the console into one directory (argument 1, default `dist`):
//   index.html, assets/app.js (src/main.ts bundled and minified, an ES module), its lazily
//   loaded chunks assets/chunk-HASH.js, assets/app.css.
// Run by crates/quell-console/build.rs into Cargo's OUT_DIR; `npm run build` builds into ./dist.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'dist';
mkdirSync(join(out, 'assets'), { recursive: true });
const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning', target: 'es2020' };
// ES modules with code splitting: the rules editor (CodeMirror, most of the bytes) is a chunk
// loaded by `import()` when #/rules is first opened, so the inbox's page does not carry it.
await esbuild.build({
  ...common, entryPoints: { app: 'src/main.ts' }, format: 'esm', splitting: true,
  outdir: join(out, 'assets'), chunkNames: 'chunk-[hash]',
});
await esbuild.build({ ...common, entryPoints: ['src/app.css'], outfile: join(out, 'assets', 'app.css') });
copyFileSync('src/index.html', join(out, 'index.html'));
