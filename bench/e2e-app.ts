/**
 * The app `cdk8s synth` runs in the end-to-end bench: the bench platform at the given number of
 * cameras, synthesized by LayeredApp into the folder cdk8s-cli names (CDK8S_OUTDIR), as a user's
 * `main.ts` would. Usage (through cdk8s.yaml): node -r ./scripts/register-ts.js bench/e2e-app.ts <cameras>
 */
import { LayeredApp } from '../lib/synth/layered-app';
import { buildBenchPlatform } from './platform';

const app = new LayeredApp({ recordConstructMetadata: false });
buildBenchPlatform(app, Number(process.argv[2]));
app.synth();
