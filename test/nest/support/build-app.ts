import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../../..');
/** Where child-process applications are built (inside node_modules, so `@nestjs/*` resolves). */
export const APPS_OUT_DIR = join(ROOT, 'node_modules/.cache/nestjs-s3-lock-test');

const RELATIVE_IMPORT = /(?:from\s+|import\s*\(?\s*)['"](\.{1,2}\/[^'"]+)\.js['"]/g;

/**
 * Builds `entry` (a TypeScript file under the repository) and every file it imports relatively
 * into `APPS_OUT_DIR`, file by file with the repository's compiler options (as `isolatedModules`
 * allows), and returns the built entry's path. The repository's `tsc --noEmit` type-checks the
 * same files; this only emits them, in about a second instead of a full `tsc` build.
 */
export function buildApp(entry: string): string {
  const options = compilerOptions();
  const seen = new Set<string>();
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(RELATIVE_IMPORT)) queue.push(resolve(dirname(file), `${match[1]}.ts`));
    const { outputText } = ts.transpileModule(source, { compilerOptions: options, fileName: file });
    const out = join(APPS_OUT_DIR, relative(ROOT, file)).replace(/\.ts$/, '.js');
    writeAtomically(out, outputText);
  }
  writeAtomically(join(APPS_OUT_DIR, 'package.json'), '{ "type": "module", "private": true }\n');
  return join(APPS_OUT_DIR, relative(ROOT, entry)).replace(/\.ts$/, '.js');
}

/**
 * Writes `text` to `file` so that no reader ever sees it half written: test files run in
 * parallel workers, and one may start an application (Node reading these files) while another
 * builds the same files. Unchanged files are left alone.
 */
function writeAtomically(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function compilerOptions(): ts.CompilerOptions {
  const configFile = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, configFile);
  // ES modules, as `nodenext` emits for this "type": "module" package.
  return { ...options, module: ts.ModuleKind.ESNext, sourceMap: false, declaration: false, noEmit: false };
}
