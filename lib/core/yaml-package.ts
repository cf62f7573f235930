/**
 * The `yaml` package, loaded on first use.
 *
 * Why not a plain import: loading the package takes about 20 ms, and most synths never need it
 * (cdk8s writes with its own copy; the library writes with its own emitter and reads its own
 * config YAML by inverting the writer). It is needed to read a camera inventory written in YAML,
 * to read an embedded YAML file the library did not write, and to read back a value the
 * validator cannot decide from the value alone.
 */
export function yamlPackage(): typeof import('yaml') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('yaml') as typeof import('yaml');
  return loaded;
}

let loaded: typeof import('yaml') | undefined;
