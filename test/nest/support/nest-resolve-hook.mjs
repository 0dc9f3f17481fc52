// Loaded with `node --import` by child applications in the Nest 11 run: resolves `@nestjs/*`
// from NEST_MODULES_DIR (the Nest 11 install) instead of the repository's node_modules.
import { register } from 'node:module';

const dir = process.env.NEST_MODULES_DIR;
if (dir) {
  register(
    'data:text/javascript,' +
      encodeURIComponent(`
        import { pathToFileURL } from 'node:url';
        const parent = pathToFileURL(${JSON.stringify(dir + '/')}).href + 'x.js';
        export async function resolve(specifier, context, next) {
          if (/^@nestjs\\/(common|core|schedule|testing|platform-express)(\\/|$)/.test(specifier)) {
            return next(specifier, { ...context, parentURL: parent });
          }
          return next(specifier, context);
        }
      `),
  );
}
