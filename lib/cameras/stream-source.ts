import { CameraSpec } from './camera-inventory';
import { IConnectable } from '../synth/connections';

/** One camera as a reader sees it: what it is and where its stream is served in the cluster. */
export interface SourceCamera {
  /** The camera as declared in the inventory. */
  readonly spec: CameraSpec;
  /** In-cluster RTSP URL of the camera's stream. */
  readonly streamUrl: string;
}

/** Where a set of camera streams is served, for the readers that analyse them. */
export interface StreamSource {
  /** Name of the source, e.g. the ingest's name. */
  readonly name: string;
  /** Namespace of the pods that serve the streams. */
  readonly namespace: string;
  /** Every camera of the source, sorted by id. */
  readonly cameras: readonly SourceCamera[];
  /** TCP port the streams are served on. */
  readonly port: number;
}

/** Anything that serves camera streams inside the cluster. */
export interface IStreamSource {
  /** Describes the streams this component serves. */
  toStreamSource(): StreamSource;
  /**
   * Lets `reader`'s pods read the streams: the source admits them, and they may connect to it,
   * whether or not they share its namespace.
   */
  allowReader(reader: IConnectable): void;
}
