import { CameraSpec } from './camera-inventory';

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
  /** Labels that select the pods serving the streams, for NetworkPolicies. */
  readonly podSelector: { readonly [key: string]: string };
  /** TCP port the streams are served on. */
  readonly port: number;
  /** Label (with value `'true'`) a reader's pods must carry to be admitted. */
  readonly readerLabel: string;
}

/** Anything that serves camera streams inside the cluster. */
export interface IStreamSource {
  /** Describes the streams this component serves. */
  toStreamSource(): StreamSource;
}
