import { Duration } from 'cdk8s';
import { SecretKey } from './receiver';

/**
 * Where a site's Prometheus sends its fleet series (`MonitoringBundleProps.remoteWrite`): every
 * replica of the site's Prometheus remote-writes the site-level recording rules (`site:…`),
 * `ALERTS` and `up`, labelled with the bundle's `externalLabels` and its `replica`. The site keeps
 * evaluating every alert itself, so it pages with its WAN link down.
 * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/#remote_write
 */
export interface RemoteWriteOptions {
  /**
   * http(s) URL of the receiver's write endpoint, e.g. `https://metrics.example/api/v1/write`, or
   * the central bundle's `remoteWriteUrl(...)`. It is written into a ConfigMap: a URL with a user
   * name or password, or a query or path parameter named like a credential, is refused (and shown
   * masked), as receivers' URLs are. Credentials go in `bearerTokenSecret` or `basicAuth`.
   */
  readonly url: string;
  /**
   * A Secret key (in the monitoring namespace) holding a bearer token: mounted into the
   * Prometheus pods and read through `authorization.credentials_file`, so the token is in no
   * ConfigMap. Needs an https `url`. At most one of `bearerTokenSecret` and `basicAuth`.
   * @default - none
   */
  readonly bearerTokenSecret?: SecretKey;
  /**
   * Basic authentication: the user name, and a Secret key (in the monitoring namespace) holding
   * the password, mounted and read through `basic_auth.password_file`. Needs an https `url`. At
   * most one of `bearerTokenSecret` and `basicAuth`.
   * @default - none
   */
  readonly basicAuth?: { readonly username: string; readonly passwordSecret: SecretKey };
  /**
   * More series to send: regular expressions (RE2, anchored at both ends, as Prometheus matches
   * them) over metric names, each one alternative of the `__name__` filter, e.g.
   * `'job_name:paths_ready:max'`. Every series sent costs WAN bandwidth at every scrape, twice
   * with an HA pair.
   * @default - none: only the site-level recording rules (`site:…`), `ALERTS` and `up`
   */
  readonly extraSeries?: readonly string[];
}

/**
 * What makes a bundle's Prometheus the fleet's central one (`MonitoringBundleProps.fleetCentral`):
 * it accepts remote writes (`--web.enable-remote-write-receiver`) through a `LoadBalancer`
 * Service that K3s's ServiceLB serves on every node, at `remoteWriteUrl(<address>)`, and it
 * alerts when a site stops reporting or runs out of GPU headroom. A Grafana dashboard, "Video
 * analytics fleet", shows every site.
 */
export interface FleetCentralOptions {
  /**
   * The sites expected to report, by their `site` external label: one FleetSiteNotReporting alert
   * for each that sends nothing for `silenceThreshold`. Not this bundle's own site, whose series
   * are local and which alerts on its own.
   */
  readonly sites: readonly string[];
  /**
   * Source address ranges allowed to remote-write: the sites' egress addresses as the centre sees
   * them. Enforced twice: by ServiceLB (`loadBalancerSourceRanges`) and by Prometheus's
   * NetworkPolicy, for load balancers that keep the client's address.
   */
  readonly remoteWriteFrom: readonly string[];
  /**
   * The share of a site's schedulable GPUs (GPU slots, with time-slicing) that must stay free:
   * below it for 15 minutes, FleetSiteGpuHeadroomLow fires. From 0 (fire only when pods wait for
   * GPUs the site does not have) to below 1.
   * @default 0.1
   */
  readonly gpuHeadroomThreshold?: number;
  /**
   * How long a site may send nothing before FleetSiteNotReporting fires. At least a minute:
   * remote write batches and retries take tens of seconds.
   * @default Duration.minutes(10)
   */
  readonly silenceThreshold?: Duration;
}
