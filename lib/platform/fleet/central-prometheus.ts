import { FleetCentralOptions, RemoteWriteOptions } from '../../monitoring/monitoring-bundle';

/** Options of {@link CentralPrometheus.site}. */
export interface CentralSiteOptions {
  /**
   * DNS name or IP address the other sites reach the central site's Prometheus LoadBalancer by,
   * across the WAN.
   */
  readonly address: string;
  /** Address ranges (CIDRs) the other sites' remote writes come from: the only ones the central Prometheus admits. */
  readonly remoteWriteFrom: readonly string[];
  /**
   * Free GPU share under which the central Prometheus alerts that a site runs out of GPU headroom.
   * @default - MonitoringBundle's
   */
  readonly gpuHeadroomThreshold?: FleetCentralOptions['gpuHeadroomThreshold'];
  /**
   * How long a site may stay silent before the central Prometheus alerts that it stopped reporting.
   * @default - MonitoringBundle's
   */
  readonly silenceThreshold?: FleetCentralOptions['silenceThreshold'];
  /**
   * Series the sites send besides the default subset (recording rules, `ALERTS`, `up`).
   * @default - the default subset only
   */
  readonly extraSeries?: RemoteWriteOptions['extraSeries'];
}

/**
 * The Prometheus every site of a fleet remote-writes a subset of its series to: one of the fleet's
 * sites ({@link CentralPrometheus.site}), or an existing endpoint ({@link CentralPrometheus.endpoint}).
 * Each site keeps alerting on its own, so that it pages with its WAN link down; the centre alerts
 * on what no site can see alone: a site that stopped reporting, a site out of GPU headroom.
 */
export class CentralPrometheus {
  /**
   * One site of the fleet runs the central Prometheus: its monitoring receives the other sites'
   * remote writes (from `remoteWriteFrom` only), alerts on the fleet and serves the fleet dashboard.
   * @param site the name of one of the fleet's sites
   */
  public static site(site: string, options: CentralSiteOptions): CentralPrometheus {
    return new CentralPrometheus(site, options, undefined);
  }

  /**
   * An existing Prometheus-compatible endpoint (a central Prometheus with its remote-write receiver
   * on, Mimir, Thanos Receive) that every site remote-writes to, with credentials from a Secret.
   */
  public static endpoint(remoteWrite: RemoteWriteOptions): CentralPrometheus {
    return new CentralPrometheus(undefined, undefined, remoteWrite);
  }

  private constructor(
    /** The name of the central site; undefined for an existing endpoint. */
    public readonly site: string | undefined,
    private readonly siteOptions: CentralSiteOptions | undefined,
    private readonly endpointOptions: RemoteWriteOptions | undefined,
  ) {}

  /**
   * The `fleetCentral` of the central site's monitoring; undefined for an existing endpoint.
   * @param sites the sites that report to it: every other site of the fleet
   */
  public centralRole(sites: readonly string[]): FleetCentralOptions | undefined {
    if (this.siteOptions === undefined) return undefined;
    const { gpuHeadroomThreshold, silenceThreshold } = this.siteOptions;
    return {
      sites: [...sites],
      remoteWriteFrom: [...this.siteOptions.remoteWriteFrom],
      ...(gpuHeadroomThreshold === undefined ? {} : { gpuHeadroomThreshold }),
      ...(silenceThreshold === undefined ? {} : { silenceThreshold }),
    };
  }

  /**
   * The `remoteWrite` of every other site.
   * @param remoteWriteUrl the central site's remote-write URL at an address, from its monitoring
   *   bundle: needed, and so built first, only with a central site
   */
  public remoteWrite(remoteWriteUrl?: (address: string) => string): RemoteWriteOptions {
    if (this.endpointOptions !== undefined) return this.endpointOptions;
    if (remoteWriteUrl === undefined) throw new Error(`CentralPrometheus: the central site '${this.site}' must be built before the sites that remote-write to it.`);
    const { address, extraSeries } = this.siteOptions!;
    return { url: remoteWriteUrl(address), ...(extraSeries === undefined ? {} : { extraSeries }) };
  }
}
