/**
 * Lets ts-node load the app's sources as jest does: Prisma's generated client imports its own
 * files with a `.js` suffix (ESM style) while only the `.ts` files exist. Loaded with `-r`.
 */
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!/^\.\.?\/.*\.js$/.test(specifier)) throw error;
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
  },
});
