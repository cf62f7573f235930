import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, AppProps, Chart, Names, YamlOutputType } from 'cdk8s';
import { IConstruct } from 'constructs';
import { inApplyOrder } from './apply-order';
import { StagedFiles } from './staged-files';
import { stringifyManifests, writeManifests } from './yaml/emitter';
import { DeferredJsonCheck, deferJsonChecks } from './json-validation';
import { ConstructPathOf, ManifestOutput, ManifestText, validateBeforeWriting } from '../reports/validation-report';
import { ValidationReceipts, sha256Hex } from './validation/_receipts';
import { ManifestValidator } from './validation/manifest-validator';
import { ObjectReference } from './validation/violation';
import { spreadOf } from '../core/spread';

/** One file of the output: its name without extension, its objects in order and their constructs. */
interface ChartOutput {
  readonly fileName: string;
  readonly objects: unknown[];
  readonly apiObjects: ApiObject[];
}

/** A serialized file: where it goes and the SHA-256 of its bytes (hex), computed when first asked for. */
interface SerializedFile {
  readonly path: string;
  readonly sha256: () => string;
}

/** How many objects of a file passed `ManifestValidator`; undefined when not validated. */
interface Validated {
  readonly validatedObjects?: number;
}

/** A manifest file `LayeredApp` writes: where, its YAML text and, when it was validated, how many objects passed. */
export interface ManifestFile extends ManifestText {
  /**
   * The number of objects `ManifestValidator` checked in `yaml` and found valid.
   * @default - not validated (`validate: false`)
   */
  readonly validatedObjects?: number;
}

/** Props of {@link LayeredApp}. */
export interface LayeredAppProps extends AppProps {
  /**
   * Check every object with `ManifestValidator` before any file reaches the output folder: on a
   * violation, `synth()` throws the report cdk8s-cli prints for the validation plugin and leaves
   * the output folder untouched, so it never holds an object the API server would refuse. Turn it off where only
   * the validation plugin (`validations:` in `cdk8s.yaml`) should check, after the files are written.
   * @default true
   */
  readonly validate?: boolean;
}

/**
 * A cdk8s `App` for platforms of many charts (one per layer): it writes the files `App` writes,
 * with each file's objects in apply order ({@link APPLY_ORDER}: namespaces, policies, accounts,
 * configuration and claims before the workloads that use them), in time linear in the number of
 * objects. Only the order of objects within a file differs from `App`'s, and not even that for an
 * {@link ApplyOrderedChart}, which `App` writes in apply order too.
 *
 * Why it exists: cdk8s 2.70's `App.synth()` validates the whole app once, then again for every
 * chart it writes, so the platform policies, which read every object, run 1 + charts times
 * (nearly doubling synthesis at 1,000 cameras in six layers). And where charts depend on charts
 * (`chart.addDependency(other)`), it makes every object of one depend on every object of the
 * other and searches all paths of that graph for cycles: minutes at 1,000 cameras, out of memory
 * at 10,000. Those object edges change nothing in the files: objects of different charts are
 * ordered by their charts' files, and a chart ignores edges that leave it.
 *
 * It also serializes each object once: validations added with `addJsonValidation` (the platform
 * policies) run after all other validations, on the very JSON it writes, instead of serializing
 * every object again in each validation pass.
 *
 * Only manifests land in the output folder, and only valid ones. It never records construct
 * metadata (`construct-metadata.json`, which cdk8s-cli turns on through the environment variable
 * `CDK8S_RECORD_CONSTRUCT_METADATA` when `cdk8s.yaml` has validations): Argo CD would read that
 * file as a manifest. And `synth()` checks every object with `ManifestValidator` before any file
 * reaches the output folder (see `LayeredAppProps.validate`): from the objects themselves, with
 * the verdicts of checking the very text it writes, without reading that text again. Beside
 * each file it leaves a receipt, outside the output folder, that lets the validation plugin of
 * `cdk8s synth` confirm by a hash that the file is byte for byte one that passed, instead of
 * reading and checking it a second time (see {@link LayeredApp.writeFiles}).
 *
 * The shortcut covers apps whose only dependencies are between charts (plus the object edges a
 * previous cdk8s synthesis derived from them). Anything else (nested charts, dependencies between
 * other constructs, a dependency cycle, another `yamlOutputType`) is synthesized by `App` itself,
 * with its exact behaviour and errors: there, a chart's objects are in apply order only if the
 * chart orders them itself ({@link ApplyOrderedChart}), and the objects are serialized once more
 * to be checked before App writes them.
 */
export class LayeredApp extends App {
  /** Whether synth() checks the objects before writing them. */
  private readonly validatesManifests: boolean;

  constructor(props: LayeredAppProps = {}) {
    super(appPropsWithoutMetadata(props));
    this.validatesManifests = props.validate ?? true;
  }

  /**
   * Validates the app, checks every object (unless `validate` is false) and only then writes one
   * file per chart, charts in dependency order, objects in apply order, each with a receipt for
   * the validation plugin (see {@link LayeredApp.writeFiles}). Each file is written as it is
   * serialized, into a staging folder beside the output folder, and moved into the output folder
   * once every file has passed: a failing synth leaves the output folder untouched, and no file's
   * whole text is held in memory.
   */
  public override synth(): void {
    const outputs = this.synthesizeCharts();
    if (outputs === undefined) return this.synthLikeApp();
    const staging = StagedFiles.beside(this.outdir);
    try {
      const files = this.checkedFiles(outputs, (file, objects) => {
        const sha256 = staging.write(file, (write) => writeManifests(objects, write));
        return { path: file, sha256: () => sha256 };
      });
      fs.mkdirSync(this.outdir, { recursive: true });
      staging.commit();
      recordReceipts(files);
    } finally {
      staging.discard();
    }
  }

  /**
   * Writes files `synthFiles()` returned and, for those that were validated, leaves a receipt
   * that lets the validation plugin of `cdk8s synth` confirm by a hash that each file is
   * byte for byte the one validated, instead of reading and validating it again. A receipt
   * lives outside the project and the output folder (see `_receipts.ts`), so nothing but the
   * manifests lands where Argo CD reads.
   */
  public static writeFiles(files: readonly ManifestFile[]): void {
    const written = files.map((file) => {
      // Yaml.save's encoding, on the very text that was checked: the receipt names these bytes.
      const bytes = Buffer.from(file.yaml, 'utf8');
      fs.mkdirSync(path.dirname(file.path), { recursive: true });
      fs.writeFileSync(file.path, bytes);
      const sha256 = sha256Hex(bytes);
      return { validatedObjects: file.validatedObjects, sha256: () => sha256 };
    });
    recordReceipts(written);
  }

  /**
   * The files `synth()` would write (path and YAML text), checked as `synth()` checks them, and
   * nothing written: for a program that writes several apps and must write none when one fails.
   * Write them with {@link LayeredApp.writeFiles}, which leaves the validation plugin its receipts.
   * Undefined when the app needs cdk8s's general synthesis, which only `synth()` can do.
   */
  public synthFiles(): ManifestFile[] | undefined {
    const outputs = this.synthesizeCharts();
    if (outputs === undefined) return undefined;
    return this.checkedFiles(outputs, (file, objects) => {
      const yaml = serializeManifests(objects);
      return { path: file, yaml, sha256: () => sha256Hex(yaml) };
    }).map(({ path: file, yaml, validatedObjects }) => ({ path: file, yaml, validatedObjects }));
  }

  /**
   * Serializes each chart's file with `serialize` and, unless `validate` is false, checks its
   * objects (or finds a receipt for its exact bytes); throws the validation plugin's report if
   * any file breaks the rules. A file's objects are released once it passed: at city scale they
   * outweigh the text.
   */
  private checkedFiles<F extends SerializedFile>(outputs: readonly ChartOutput[], serialize: (file: string, objects: readonly unknown[]) => F): Array<F & Validated> {
    const receipts = this.validatesManifests ? ValidationReceipts.forThisValidator() : undefined;
    const files: Array<F & Validated> = [];
    const invalid = new Map<string, ChartOutput>();
    for (const output of outputs) {
      const file = serialize(path.join(this.outdir, output.fileName + this.outputFileExtension), output.objects);
      if (!this.validatesManifests) {
        files.push(file);
      } else if (this.passes(file, output.objects, receipts)) {
        files.push(spreadOf(file, { validatedObjects: output.objects.length }) as F & Validated);
        output.objects.length = 0;
      } else {
        invalid.set(file.path, output);
      }
    }
    if (invalid.size > 0) {
      const failing = [...invalid].map(([file, output]): ManifestOutput => ({ path: file, yaml: serializeManifests(output.objects), objects: output.objects }));
      const passedObjects = files.reduce((n, file) => n + (file.validatedObjects ?? 0), 0);
      this.throwOnInvalidManifests(failing, (file, object) => {
        const output = invalid.get(file);
        const index = output?.objects.findIndex((json) => sameObject(json, object)) ?? -1;
        return index < 0 ? undefined : output!.apiObjects[index].node.path;
      }, passedObjects);
    }
    return files;
  }

  /**
   * Whether a file's objects pass `ManifestValidator`: known from a receipt when these exact
   * bytes passed this very validator before (an unchanged file of an earlier synth), else
   * checked from the objects, with the verdicts of checking the text.
   */
  private passes(file: SerializedFile, objects: readonly unknown[], receipts: ValidationReceipts | undefined): boolean {
    if (receipts !== undefined && receipts.objectCountOfDigest(file.sha256()) === objects.length) return true;
    return ManifestValidator.validateObjects(objects, { source: file.path }).violations.length === 0;
  }

  /**
   * Every object of every chart as one multi-document YAML text, as `App.synthYaml()` returns it.
   * It writes nothing, and so checks nothing with `ManifestValidator`: validate the text yourself
   * (`ManifestValidator.validateYaml`) before you write it anywhere Argo CD reads.
   */
  public override synthYaml(): string {
    const outputs = this.synthesizeCharts();
    if (outputs === undefined) return super.synthYaml();
    return serializeManifests(outputs.flatMap((output) => output.objects));
  }

  /** The charts in dependency order, as `App.charts` returns them. */
  public override get charts(): Chart[] {
    return this.layers()?.order ?? super.charts;
  }

  /** App's synthesis, for the apps the shortcut does not cover, with the objects checked before App writes them. */
  private synthLikeApp(): void {
    if (this.validatesManifests) {
      this.throwOnInvalidManifests([{ path: this.outdir, yaml: super.synthYaml() }], (_file, object) => {
        const match = this.node.findAll().find((c): c is ApiObject => c instanceof ApiObject && sameObject(c.toJson(), object));
        return match?.node.path;
      });
    }
    super.synth();
  }

  /** Throws the validation plugin's report when an object of `files` breaks the rules; `passedObjects` valid ones of other files count in its summary. */
  private throwOnInvalidManifests(files: readonly ManifestOutput[], constructPathOf: ConstructPathOf, passedObjects = 0): void {
    const { report } = validateBeforeWriting(files, constructPathOf, passedObjects);
    if (report !== undefined) {
      throw new Error(`LayeredApp: the objects break the manifest rules, so nothing was written to ${this.outdir}. `
        + 'Fix the constructs named below, or pass validate: false to leave the checks to the cdk8s validation plugin.\n\n' + report);
    }
  }

  /** The files to write, or undefined when the app needs cdk8s's general synthesis. */
  private synthesizeCharts(): ChartOutput[] | undefined {
    if (this.yamlOutputType !== YamlOutputType.FILE_PER_CHART) return undefined;
    const jsonChecks = deferJsonChecks(this, () => this.validateLikeApp());
    const layers = this.layers();
    // App runs the deferred checks itself, as plain validations.
    if (layers === undefined) return undefined;
    // cdk8s numbers the files only when some chart depends on another.
    const fileName = layers.hasDependencies ? indexedFileName : (chart: Chart) => Names.toDnsLabel(chart);
    const written = new Map<ApiObject, unknown>();
    const outputs = layers.order.map((chart, index): ChartOutput => {
      const byJson = new Map<unknown, ApiObject>();
      const objects = inApplyOrder(objectsOf(chart).map((object) => {
        const json = object.toJson();
        written.set(object, json);
        byJson.set(json, object);
        return json;
      }));
      return { fileName: fileName(chart, index), objects, apiObjects: objects.map((json) => byJson.get(json)!) };
    });
    // Objects outside the charts written (none in a plain stack of layers) are serialized on demand.
    throwOnErrors(runJsonChecks(jsonChecks, (object) => written.get(object) ?? object.toJson()));
    return outputs;
  }

  /**
   * Runs every construct's validations with App's error message. App validates the whole app once,
   * then again before each chart. A second pass sees what the first one changed (LayerChart
   * annotates its objects; no construct of this library adds any); further passes see the same
   * tree unless a user's validation keeps adding constructs, so they run (up to App's count) only
   * while it grows.
   * Validations that read every object's JSON are deferred: they run once, on the JSON written.
   */
  private validateLikeApp(): void {
    const maxPasses = 1 + this.node.findAll().filter((c) => c instanceof Chart).length;
    let previousSize = -1;
    for (let pass = 1; pass <= maxPasses; pass++) {
      const constructs = this.node.findAll();
      if (pass > 2 && constructs.length === previousSize) return;
      previousSize = constructs.length;
      throwOnErrors(constructs.flatMap((c) => c.node.validate().map((error) => `[${c.node.path}] ${error}`)));
    }
  }

  /** The charts in the order App writes them, or undefined if the app is not a plain stack of layers. */
  private layers(): { order: Chart[]; hasDependencies: boolean } | undefined {
    const graph = chartGraph(this);
    if (graph === undefined) return undefined;
    const order = topologicalOrder(graph);
    return order && { order, hasDependencies: [...graph.values()].some((targets) => targets.length > 0) };
  }
}

/**
 * App's props, recording no construct metadata: cdk8s-cli turns it on (through the environment)
 * whenever `cdk8s.yaml` has validations, and `construct-metadata.json` in the output folder would
 * be applied by Argo CD as a manifest.
 */
function appPropsWithoutMetadata(props: LayeredAppProps): AppProps {
  if (props.recordConstructMetadata === true) {
    throw new Error("LayeredApp: 'recordConstructMetadata' (true) must be false or left out. LayeredApp writes nothing but Kubernetes objects "
      + "into its output folder, which Argo CD applies file by file; use cdk8s's App if you need construct-metadata.json.");
  }
  // App ignores `validate`.
  return spreadOf(props, { recordConstructMetadata: false });
}

/** Whether synthesized JSON is the object a violation names. */
function sameObject(json: unknown, object: ObjectReference): boolean {
  const o = json as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | undefined;
  return o?.apiVersion === object.apiVersion && o?.kind === object.kind && o?.metadata?.name === object.name && o?.metadata?.namespace === object.namespace;
}

/**
 * The YAML text of a file's objects: byte for byte what cdk8s's `Yaml.stringify(...objects)`
 * returns (YAML 1.1, no line wrapping, documents joined by `---`), written by the library's
 * emitter (proven byte-identical by property tests, about 12 times faster) and without passing
 * the objects as arguments, which overflows the call stack near 94,000 objects. The one place LayeredApp
 * serializes objects; `ManifestValidator.validateObjects` validates objects as this text.
 */
export function serializeManifests(objects: readonly unknown[]): string {
  return stringifyManifests(objects);
}

/** Leaves the validation plugin a receipt for each file that was validated (see `_receipts.ts`). */
function recordReceipts(files: ReadonlyArray<Pick<SerializedFile, 'sha256'> & Validated>): void {
  const validated = files.filter((file) => file.validatedObjects !== undefined);
  if (validated.length === 0) return;
  const receipts = ValidationReceipts.forThisValidator();
  if (receipts === undefined) return;
  for (const file of validated) receipts.recordDigest(file.sha256(), file.validatedObjects!);
  receipts.prune();
}

/** App's validation error. */
function throwOnErrors(errors: readonly string[]): void {
  if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
}

function runJsonChecks(checks: readonly DeferredJsonCheck[], jsonOf: (object: ApiObject) => unknown): string[] {
  return checks.flatMap(({ scope, check }) => check(jsonOf).map((error) => `[${scope.node.path}] ${error}`));
}

function indexedFileName(chart: Chart, index: number): string {
  return `${String(index).padStart(4, '0')}-${Names.toDnsLabel(chart)}`;
}

/** A chart's objects in construct order: App's order when no object of the chart depends on another. */
function objectsOf(chart: Chart): ApiObject[] {
  return chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
}

/**
 * Each chart and the charts it depends on, in the order App's dependency graph visits them;
 * undefined when some dependency would make App order objects or charts differently.
 */
function chartGraph(app: App): Map<Chart, Chart[]> | undefined {
  const graph = new Map<Chart, Chart[]>();
  const objectEdges: Array<[Chart, Chart]> = [];
  for (const construct of app.node.findAll()) {
    const chart = chartOf(app, construct);
    if (chart === NESTED) return undefined;
    if (construct instanceof Chart) graph.set(construct, []);
    for (const dependency of construct.node.dependencies) {
      const target = chartOf(app, dependency);
      if (chart === undefined || target === undefined || target === NESTED || target === chart) return undefined;
      if (construct === chart && dependency === target) {
        const targets = graph.get(chart)!;
        if (!targets.includes(target)) targets.push(target);
      } else if (construct instanceof ApiObject && dependency instanceof ApiObject) {
        objectEdges.push([chart, target]);
      } else {
        return undefined;
      }
    }
  }
  // Object edges between charts are harmless only where the charts themselves depend on each other.
  const covered = objectEdges.every(([source, target]) => graph.get(source)?.includes(target));
  return covered ? graph : undefined;
}

/** Marks a construct inside a chart inside another chart, which App orders in ways this class does not. */
const NESTED = Symbol('nested chart');

/** The chart a construct of `app` belongs to: undefined outside any chart (or outside the app). */
function chartOf(app: App, construct: IConstruct): Chart | undefined | typeof NESTED {
  if (construct.node.root !== app) return undefined;
  const charts = construct.node.scopes.filter((scope): scope is Chart => scope instanceof Chart);
  return charts.length > 1 ? NESTED : charts[0];
}

/**
 * App's chart order: a depth-first walk that writes a chart after the charts it depends on,
 * starting from the charts nothing depends on in the order of their paths as object keys (App
 * keys its graph by path). Undefined on a cycle, which App reports with its own error.
 */
function topologicalOrder(graph: ReadonlyMap<Chart, readonly Chart[]>): Chart[] | undefined {
  const byPath: Record<string, Chart> = {};
  for (const chart of graph.keys()) byPath[chart.node.path] = chart;
  const hasDependants = new Set([...graph.values()].flat());
  const order: Chart[] = [];
  const done = new Set<Chart>();
  const inProgress = new Set<Chart>();
  const visit = (chart: Chart): boolean => {
    if (done.has(chart)) return true;
    if (inProgress.has(chart)) return false;
    inProgress.add(chart);
    if (!(graph.get(chart) ?? []).every(visit)) return false;
    inProgress.delete(chart);
    done.add(chart);
    order.push(chart);
    return true;
  };
  const roots = Object.values(byPath).filter((chart) => !hasDependants.has(chart));
  if (!roots.every(visit)) return undefined;
  // Charts reachable only through a cycle are never visited from a root.
  return order.length === graph.size ? order : undefined;
}
