import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { CameraInventory, PlatformNamespace, PlatformPolicies, PlatformPriorities, StreamIngest } from './lib';

/** The namespace every application component of the reference platform lives in. */
export const APP_NAMESPACE = 'video-analytics';
/** The reference camera inventory: 48 cameras over 3 sites. */
export const REFERENCE_CAMERAS = path.join(__dirname, 'reference', 'cameras.csv');

/** The charts of the reference platform, one per layer. */
export interface ReferencePlatform {
  readonly base: Chart;
  readonly ingest: Chart;
  /** The stream ingest, for the layers that read its streams. */
  readonly streamIngest: StreamIngest;
}

/**
 * The reference platform: what `npm run synth` writes to `dist/`. It grows with each construct
 * of the library and doubles as the end-to-end example of how they compose.
 */
export function buildReferencePlatform(app: App): ReferencePlatform {
  const base = new Chart(app, 'video-analytics-base', { disableResourceNameHashes: true });
  new PlatformNamespace(base, 'AppNamespace', { name: APP_NAMESPACE });
  new PlatformPriorities(base, 'Priorities');

  const ingest = new Chart(app, 'video-analytics-ingest', { disableResourceNameHashes: true });
  ingest.addDependency(base);
  const streamIngest = new StreamIngest(ingest, 'ingest', {
    namespace: APP_NAMESPACE,
    cameras: CameraInventory.fromFile(REFERENCE_CAMERAS).cameras,
    priorityClassName: PlatformPriorities.INGEST,
  });
  // Synthesis fails on any policy finding: a Service that selects nothing, a budget that blocks
  // drains, a pod below the restricted profile, ...
  PlatformPolicies.enforce(app);
  return { base, ingest, streamIngest };
}

if (require.main === module) {
  // No construct-metadata.json in dist/: Argo CD would read it as a manifest.
  const app = new App({ recordConstructMetadata: false });
  buildReferencePlatform(app);
  app.synth();
}
