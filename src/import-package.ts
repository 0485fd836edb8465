/**
 * import() of an installed package (an ES module that kasane loads only when needed, such as
 * client-node or one kubernetes-models class).
 *
 * Every dynamic import of a package goes through here, because the bundle (scripts/bundle.mjs)
 * replaces this module: the bundle runs as a script compiled with a V8 code cache, and on Node 20
 * an import() inside such a script fails. There the import is made by the script's loader,
 * bin/load-bundle.js, which is an ES module.
 */
export function importPackage(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}
