// The tests run the TypeScript sources with Node's own type stripping (.taprc: type-strip-only),
// not a compiler: each file is loaded as written, its types erased. The sources import each
// other as './x.js' — the name tsc gives the built file in dist/ — so this hook, loaded before
// any test (.taprc node-arg), resolves a relative './x.js' imported from a .ts file to './x.ts'
// when that is what exists. tsconfig's erasableSyntaxOnly and verbatimModuleSyntax keep every
// source loadable this way (no parameter properties or enums; type-only imports marked `type`).
import fs from 'node:fs';
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    if (specifier.endsWith('.js') && (specifier.startsWith('./') || specifier.startsWith('../')) && context.parentURL?.endsWith('.ts')) {
      const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (fs.existsSync(ts)) return next(ts.href, context);
    }
    return next(specifier, context);
  },
});
