import { DetectionOptions, InferencePoolOptions } from '../video-analytics-platform';

/** Options of {@link VideoAnalyticsFleet.addDetection}: a detection every site runs. */
export interface FleetDetectionOptions extends Omit<DetectionOptions, 'streams' | 'inference'> {
  /**
   * The labels of the cameras the detection analyses, at every site.
   * @default - every camera of the site
   */
  readonly cameraLabels?: { readonly [key: string]: string };
  /**
   * The fleet's inference pool the detection calls: at each site, that site's instance of it.
   * @default - none: the detection runs its models itself
   */
  readonly inference?: FleetInferencePool;
}

/**
 * An inference pool every site of a fleet runs (on its own GPU nodes), from
 * {@link VideoAnalyticsFleet.addInferencePool}: pass it as `inference` of a fleet detection, or to
 * a site's `overrideInferencePool` and `skipInferencePool`.
 */
export class FleetInferencePool {
  /**
   * Made by {@link VideoAnalyticsFleet.addInferencePool}.
   * @internal
   */
  constructor(
    /** The pool's id at every site. */
    public readonly id: string,
    /** The options every site gets unless it overrides them. */
    public readonly options: InferencePoolOptions,
  ) {}
}

/**
 * A detection every site of a fleet runs, from {@link VideoAnalyticsFleet.addDetection}: pass it
 * to a site's `overrideDetection` and `skipDetection`.
 */
export class FleetDetection {
  /**
   * Made by {@link VideoAnalyticsFleet.addDetection}.
   * @internal
   */
  constructor(
    /** The detection's id at every site. */
    public readonly id: string,
    /** The options every site gets unless it overrides them. */
    public readonly options: FleetDetectionOptions,
  ) {}
}
