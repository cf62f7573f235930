import { ApiObject } from 'cdk8s';
import { IConstruct, IValidation } from 'constructs';

/** How a check reads an object's synthesized JSON. */
export type JsonOf = (object: ApiObject) => unknown;

/** A check over synthesized JSON; returns one message per problem. */
export type JsonCheck = (jsonOf: JsonOf) => string[];

/** A check an app runs once, after every other validation, on the JSON it writes. */
export interface DeferredJsonCheck {
  /** The construct the check was added to; App prefixes its messages with this path. */
  readonly scope: IConstruct;
  /** The check, as added. */
  readonly check: JsonCheck;
}

/**
 * The apps that serialize every object once and hand that JSON to the checks. While an app is
 * registered here, a JSON validation does not run when validated: it hands itself to the app,
 * which runs it on the objects it is about to write.
 */
const deferringApps = new WeakMap<IConstruct, Map<IValidation, DeferredJsonCheck>>();

/**
 * Adds a validation to `scope` that reads the synthesized JSON of objects (policies that look at
 * every object, for example).
 *
 * Under a plain cdk8s `App` it runs like any validation, serializing each object it reads, once
 * per validation pass. Under an app that defers JSON checks ({@link deferJsonChecks}), it runs
 * once, after the tree is final, on the very JSON that is written: serializing thousands of
 * objects costs more than the checks themselves.
 */
export function addJsonValidation(scope: IConstruct, check: JsonCheck): void {
  const validation: IValidation = {
    validate: () => {
      const deferred = deferringApps.get(scope.node.root);
      if (deferred === undefined) return check((object) => object.toJson());
      deferred.set(validation, { scope, check });
      return [];
    },
  };
  scope.node.addValidation(validation);
}

/**
 * Runs `validate` (the app's validation passes) with JSON validations deferred, and returns those
 * validations, each once, in the order they were first met.
 */
export function deferJsonChecks(app: IConstruct, validate: () => void): DeferredJsonCheck[] {
  const deferred = new Map<IValidation, DeferredJsonCheck>();
  deferringApps.set(app, deferred);
  try {
    validate();
  } finally {
    deferringApps.delete(app);
  }
  return [...deferred.values()];
}
