/**
 * An app that synthesizes nothing: cdk8s's App with no chart, run the way the reference app is
 * run. `cdk8s synth` of it is the CLI's own start-up, the floor the reference platform is measured
 * against.
 */
import { App } from 'cdk8s';

new App().synth();
