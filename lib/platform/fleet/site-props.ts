import { CameraSpec } from '../../cameras/camera-inventory';
import { propError } from '../../core/errors';
import { maskUrlSecrets } from '../../core/url-secrets';
import { MonitoringBundleProps } from '../../monitoring/monitoring-bundle';
import { K3sClusterProps } from '../k3s/k3s-cluster';
import { PlatformGpuOptions, VideoAnalyticsPlatformProps } from '../video-analytics-platform';
import { FLEET_SITE_LABEL } from './fleet-cameras';
import { FleetClusterSettings, FleetSettings, FleetSiteSettings, overOneLevel } from './fleet-settings';

/** What decides one site's platform props. */
export interface SitePropsInput {
  /** The fleet's name, for error messages. */
  readonly fleet: string;
  /** The fleet's settings and shared cluster settings. */
  readonly defaults: FleetSettings & { readonly cluster?: FleetClusterSettings };
  /** The site's name, position in `sites`, overrides and cluster. */
  readonly site: FleetSiteSettings & { readonly name: string; readonly index: number; readonly cluster: K3sClusterProps };
  readonly cameras: readonly CameraSpec[];
  /** What the fleet's central Prometheus adds to the site's monitoring; undefined without one. */
  readonly central?: Pick<MonitoringBundleProps, 'remoteWrite' | 'fleetCentral'>;
}

/**
 * The props of one site's VideoAnalyticsPlatform: the fleet's settings with the site's merged over
 * them one level deep, the GPU nodes its cluster declares, the `site` external label and the
 * central Prometheus's wiring. Keys left undefined are left out, so the props read as a user
 * would write them for the site alone.
 */
export function resolvePlatformProps(input: SitePropsInput): VideoAnalyticsPlatformProps {
  const { defaults, site } = input;
  const cluster = withoutUndefined({ ...defaults.cluster, ...withoutUndefined(site.cluster) }) as K3sClusterProps;
  return withoutUndefined({
    cameras: input.cameras,
    namespace: site.namespace ?? defaults.namespace,
    ingest: overOneLevel(defaults.ingest, site.ingest),
    gpu: gpuOptions(input, cluster),
    monitoring: monitoringProps(input),
    registry: overOneLevel(defaults.registry, site.registry),
    upgrades: overOneLevel(defaults.upgrades, site.upgrades),
    descheduler: overOneLevel(defaults.descheduler, site.descheduler),
    cluster,
    enforcePolicies: site.enforcePolicies ?? defaults.enforcePolicies,
  }) as VideoAnalyticsPlatformProps;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The GPU inventory of the site, from the GPU nodes its cluster declares (GPU agents, and servers
 * with GPUs): asked once, in the cluster, never twice.
 */
function gpuOptions({ fleet, defaults, site }: SitePropsInput, cluster: K3sClusterProps): PlatformGpuOptions | undefined {
  const nodes = [...cluster.servers.filter((server) => (server.gpus ?? 0) > 0), ...(cluster.gpuAgents ?? [])];
  if (nodes.length === 0) {
    if (site.gpu === undefined) return undefined;
    throw propError('VideoAnalyticsFleet', fleet, `sites[${site.index}].gpu`, `{ ${Object.keys(site.gpu).join(', ')} }`, `left out at a site without GPU nodes: the cluster of site '${site.name}' declares none`,
      "Declare the site's GPU agents in its 'cluster', or leave out its 'gpu'.");
  }
  const perNode = [...new Set(nodes.map((node) => node.gpus ?? 0))];
  if (perNode.length > 1) {
    throw propError('VideoAnalyticsFleet', fleet, `sites[${site.index}].cluster`, nodes.map((node) => `${node.name}: ${node.gpus}`).join(', '),
      'GPU nodes with the same number of GPUs each: a GpuInventory counts GPUs per node', 'Give every GPU node of the site the same number of GPUs.');
  }
  return { ...overOneLevel(defaults.gpu, site.gpu), nodes: nodes.length, gpusPerNode: perNode[0] };
}

/** The site's monitoring: the merged settings, the `site` external label and the central Prometheus's wiring. */
function monitoringProps({ fleet, defaults, site, central }: SitePropsInput): MonitoringBundleProps {
  const merged = overOneLevel(defaults.monitoring, site.monitoring) ?? {};
  const labelled = merged.externalLabels?.[FLEET_SITE_LABEL];
  if (labelled !== undefined && labelled !== site.name) {
    const prop = site.monitoring?.externalLabels !== undefined ? `sites[${site.index}].monitoring.externalLabels.${FLEET_SITE_LABEL}` : `monitoring.externalLabels.${FLEET_SITE_LABEL}`;
    throw propError('VideoAnalyticsFleet', fleet, prop, labelled, `the site's name (${site.name}): the fleet labels every series of a site with it`, 'Leave it out: the fleet sets it.');
  }
  const wired = central && (['remoteWrite', 'fleetCentral'] as const).find((key) => merged[key] !== undefined);
  if (wired !== undefined) {
    const prop = site.monitoring?.[wired] !== undefined ? `sites[${site.index}].monitoring.${wired}` : `monitoring.${wired}`;
    // A URL may carry credentials: never shown.
    const shown = wired === 'remoteWrite' ? maskUrlSecrets(merged.remoteWrite!.url) : JSON.stringify(merged.fleetCentral);
    throw propError('VideoAnalyticsFleet', fleet, prop, shown, "left out when the fleet has a 'central' Prometheus, which sets it for every site", `Leave out '${wired}', or the fleet's 'central'.`);
  }
  return withoutUndefined({
    ...merged,
    externalLabels: { ...merged.externalLabels, [FLEET_SITE_LABEL]: site.name },
    remoteWrite: central ? central.remoteWrite : merged.remoteWrite,
    fleetCentral: central ? central.fleetCentral : merged.fleetCentral,
  });
}
