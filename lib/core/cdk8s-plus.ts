import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';

/**
 * What the library uses of cdk8s-plus-27: its generated Kubernetes classes (`k8s`) and `Cpu`,
 * required from the package's own modules rather than through its index.
 *
 * Why: the index also loads every L2 construct of the package (28 modules, about 12 ms of every
 * synth), and the library uses none of them. These are the very modules the index exports, so
 * the classes are the same ones (`Cpu.millis(250) instanceof Cpu` holds whichever way a user
 * imports it); a test holds the two ways to the same objects.
 */
export { k8s };
export { Cpu } from 'cdk8s-plus-27/lib/container';
export type { ContainerResources, EphemeralStorageResources } from 'cdk8s-plus-27';
