import { Duration } from 'cdk8s';

/**
 * Where Prometheus finds a component's metrics: pods selected by labels, a named container
 * port and a path. Monitoring turns it into a scrape job or a PodMonitor.
 */
export interface ScrapeTarget {
  /** Job name, unique in the platform, e.g. `stream-ingest`. */
  readonly jobName: string;
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Labels that select exactly the pods to scrape. */
  readonly podSelector: { readonly [key: string]: string };
  /** Name of the container port that serves metrics. */
  readonly portName: string;
  /** The port number behind `portName`, for NetworkPolicies. */
  readonly port: number;
  /**
   * HTTP path of the metrics.
   * @default '/metrics'
   */
  readonly path?: string;
  /**
   * How often to scrape.
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;
}

/** Anything that exposes metrics: pass it to `MonitoringBundle.watch`, which scrapes it. */
export interface IScrapeTarget {
  /** Describes the metrics endpoint of this component. */
  toScrapeTarget(): ScrapeTarget;
}
