import { MonitoringBundleProps } from '../../monitoring/monitoring-bundle';
import { K3sClusterProps } from '../k3s/k3s-cluster';
import { K3sUpgradePlansProps } from '../k3s/k3s-upgrade-plans';
import { PlatformDeschedulerOptions, PlatformGpuOptions, PlatformIngestOptions, PlatformRegistryOptions } from '../video-analytics-platform';

/** GPU settings: everything but how many GPU nodes and GPUs per node, which the site's cluster declares. */
export type FleetGpuSettings = Omit<PlatformGpuOptions, 'nodes' | 'gpusPerNode'>;

/** K3s settings every site's cluster shares: everything but its nodes and its registration address. */
export type FleetClusterSettings = Omit<K3sClusterProps, 'servers' | 'gpuAgents' | 'apiEndpoint'>;

/**
 * What the fleet sets for every site and a site may override. A site's setting is merged one level
 * deep over the fleet's: each key the site gives replaces the fleet's key (`monitoring.receivers`,
 * `registry.mirror`, `upgrades.window`), every key it leaves out keeps the fleet's.
 */
export interface FleetSettings {
  /**
   * Namespace of the application components.
   * @default 'video-analytics'
   */
  readonly namespace?: string;
  /**
   * Ingest settings other than the cameras.
   * @default - VideoAnalyticsPlatform's
   */
  readonly ingest?: PlatformIngestOptions;
  /**
   * GPU settings (sharing, device plugin); the GPU nodes themselves come from the site's cluster.
   * @default - GpuInventory's and GpuNodeSupport's defaults
   */
  readonly gpu?: FleetGpuSettings;
  /**
   * Monitoring of each site. The fleet adds the `site` external label and, with `central`, the
   * remote write or the central role.
   * @default - the fleet's monitoring
   */
  readonly monitoring?: MonitoringBundleProps;
  /**
   * Where images are pulled from: the registry mirror and pull secrets.
   * @default - from where their references point, with no pull secrets
   */
  readonly registry?: PlatformRegistryOptions;
  /**
   * Automated K3s upgrades: the K3s version the sites run, pinned.
   * @default - no upgrade plans
   */
  readonly upgrades?: K3sUpgradePlansProps;
  /**
   * The descheduler.
   * @default - enabled, with DeschedulerInstallation's defaults
   */
  readonly descheduler?: PlatformDeschedulerOptions;
  /**
   * Fail synthesis on any PlatformPolicies finding.
   * @default true
   */
  readonly enforcePolicies?: boolean;
}

/** A site's overrides of the fleet's settings: any key of them, merged one level deep. */
export interface FleetSiteSettings extends Omit<FleetSettings, 'upgrades'> {
  /**
   * Overrides of the fleet's upgrade plans, such as another maintenance window.
   * @default - the fleet's
   */
  readonly upgrades?: Partial<K3sUpgradePlansProps>;
}

/** The keys a site gives, without those it leaves undefined: a key left undefined keeps the fleet's. */
export function definedKeys<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A site's object setting over the fleet's, one level deep. */
export function overOneLevel<T extends object>(fleet: T | undefined, site: Partial<T> | undefined): T | undefined {
  if (site === undefined) return fleet;
  return { ...fleet, ...definedKeys(site) } as T;
}
