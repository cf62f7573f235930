import { App, Chart } from 'cdk8s';
import { PlatformNamespace } from './lib';

/** The namespace every application component of the reference platform lives in. */
export const APP_NAMESPACE = 'video-analytics';

/**
 * The reference platform: what `npm run synth` writes to `dist/`. It grows with each construct
 * of the library and doubles as the end-to-end example of how they compose.
 */
export function buildReferencePlatform(app: App): Chart[] {
  const base = new Chart(app, 'video-analytics-base', { disableResourceNameHashes: true });
  new PlatformNamespace(base, 'AppNamespace', { name: APP_NAMESPACE });
  return [base];
}

if (require.main === module) {
  // No construct-metadata.json in dist/: Argo CD would read it as a manifest.
  const app = new App({ recordConstructMetadata: false });
  buildReferencePlatform(app);
  app.synth();
}
