import { parser } from '@prometheus-io/lezer-promql';
import { readEmbeddedYaml } from '../embedded-yaml';
import { ObjectReference, ValidationRule, Violation, jsonPath } from './violation';

type Path = ReadonlyArray<string | number>;
type KubeObject = { [key: string]: unknown };

interface FoundExpression {
  readonly path: Path;
  readonly expr: string;
}

/**
 * Returns why `expr` is not valid PromQL syntax, or undefined when it parses.
 * Syntax only: the lezer grammar knows no types, so `sum("a")` passes.
 */
export function promqlSyntaxError(expr: string): string | undefined {
  if (expr.trim() === '') return 'the expression is empty';
  const shape = shapeOf(expr);
  if (shape !== undefined && validShapes.has(shape)) return undefined;
  const error = parseError(expr);
  if (error === undefined && shape !== undefined) rememberValid(shape);
  return error;
}

/**
 * Shapes of expressions known to parse (see shapeOf): a platform writes the same
 * alert for each of thousands of services, differing only in label values, and parsing each one
 * cost a quarter of a second at 10,000 cameras.
 */
const validShapes = new Set<string>();
const MAX_SHAPES = 10_000;

function rememberValid(shape: string): void {
  if (validShapes.size >= MAX_SHAPES) validShapes.clear();
  validShapes.add(shape);
}

/**
 * The expression with each double-quoted string replaced by `"_"`, which parses exactly when the expression
 * does; undefined when that is not certain: escapes, other quotes and comments could hide or fake
 * a quote.
 */
function shapeOf(expr: string): string | undefined {
  return /['`#\\]/.test(expr) ? undefined : expr.replace(/"[^"\n]*"/g, '"_"');
}

function parseError(expr: string): string | undefined {
  const tree = parser.parse(expr);
  let errorAt: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && errorAt === undefined) errorAt = node.from;
      return errorAt === undefined;
    },
  });
  if (errorAt === undefined) return emptySelectorError(tree);
  const around = expr.slice(Math.max(0, errorAt - 20), errorAt + 20).replace(/\s+/g, ' ');
  return `does not parse as PromQL: syntax error at character ${errorAt + 1} near '${around}'`;
}

/**
 * Prometheus' parser also refuses a selector with neither a metric name nor a matcher (`{}`);
 * the lezer grammar accepts it, so it is checked here.
 */
function emptySelectorError(tree: ReturnType<typeof parser.parse>): string | undefined {
  let empty = false;
  tree.iterate({
    enter(node) {
      if (node.name !== 'VectorSelector') return !empty;
      const children: string[] = [];
      for (let child = node.node.firstChild; child; child = child.nextSibling) children.push(child.name);
      const hasName = children.includes('Identifier');
      const matchers = node.node.getChild('LabelMatchers');
      if (!hasName && (!matchers || matchers.firstChild === null)) empty = true;
      return false;
    },
  });
  return empty ? 'does not parse as PromQL: a vector selector needs a metric name or at least one label matcher' : undefined;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `groups[].rules[].expr` of a Prometheus rule file or a PrometheusRule spec. */
function ruleGroupExpressions(groups: unknown, path: Path): FoundExpression[] {
  if (!Array.isArray(groups)) return [];
  return groups.flatMap((group: unknown, i) => {
    const rules = isMap(group) && Array.isArray(group.rules) ? group.rules : [];
    return rules.flatMap((rule: unknown, j) => isMap(rule) && rule.expr !== undefined
      ? [{ path: [...path, i, 'rules', j, 'expr'], expr: String(rule.expr) }]
      : []);
  });
}

function kedaPrometheusQueries(spec: unknown): FoundExpression[] {
  const triggers = isMap(spec) && Array.isArray(spec.triggers) ? spec.triggers : [];
  return triggers.flatMap((trigger: unknown, i) => isMap(trigger) && trigger.type === 'prometheus' && isMap(trigger.metadata)
    ? [{ path: ['spec', 'triggers', i, 'metadata', 'query'], expr: String(trigger.metadata.query ?? '') }]
    : []);
}

/** Grafana dashboards keep queries in `panels[].targets[].expr`, panels may nest in rows. */
function dashboardExpressions(node: unknown, path: Path): FoundExpression[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => dashboardExpressions(item, [...path, i]));
  if (!isMap(node)) return [];
  const found: FoundExpression[] = [];
  if (Array.isArray(node.targets)) {
    node.targets.forEach((target: unknown, i) => {
      if (isMap(target) && typeof target.expr === 'string') found.push({ path: [...path, 'targets', i, 'expr'], expr: target.expr });
    });
  }
  for (const key of ['panels', 'rows']) {
    if (node[key] !== undefined) found.push(...dashboardExpressions(node[key], [...path, key]));
  }
  return found;
}

/**
 * Whether a file could hold a rule file's `groups` or a dashboard's `panels`. Neither key can be
 * spelt in YAML or JSON without its letters, but for an escape (`"gr\u006fups"`), which needs a
 * backslash; a text without all three (a MediaMTX configuration, a camera list) is not read.
 */
function mayHoldExpressions(text: string): boolean {
  return text.includes('groups') || text.includes('panels') || text.includes('\\');
}

/** Rule files and dashboards embedded in ConfigMaps, as the standalone monitoring stack ships them. */
function configMapExpressions(data: unknown): FoundExpression[] {
  if (!isMap(data)) return [];
  return Object.entries(data).flatMap(([key, text]) => {
    if (typeof text !== 'string' || !mayHoldExpressions(text)) return [];
    let content: unknown;
    try {
      content = key.endsWith('.json') ? JSON.parse(text) : readEmbeddedYaml(text);
    } catch {
      return [];
    }
    if (!isMap(content)) return [];
    if (Array.isArray(content.groups)) return ruleGroupExpressions(content.groups, ['data', key, 'groups']);
    if (Array.isArray(content.panels)) return dashboardExpressions(content, ['data', key]);
    return [];
  });
}

export function findPromqlExpressions(object: KubeObject): FoundExpression[] {
  const spec = object.spec;
  switch (`${object.apiVersion}/${object.kind}`) {
    case 'monitoring.coreos.com/v1/PrometheusRule':
      return isMap(spec) ? ruleGroupExpressions(spec.groups, ['spec', 'groups']) : [];
    case 'keda.sh/v1alpha1/ScaledObject':
      return kedaPrometheusQueries(spec);
    case 'v1/ConfigMap':
      return configMapExpressions(object.data);
    default:
      return [];
  }
}

/** Every PromQL expression found in alert and recording rules, KEDA triggers and embedded rule files. */
export function checkPromql(object: KubeObject, ref: ObjectReference): Violation[] {
  return findPromqlExpressions(object).flatMap(({ path, expr }) => {
    const problem = promqlSyntaxError(expr);
    return problem ? [{ rule: ValidationRule.PROMQL, object: ref, path: jsonPath(path), message: problem }] : [];
  });
}
