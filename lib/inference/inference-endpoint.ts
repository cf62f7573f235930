import { IConnectable } from '../synth/connections';

/** How a client reaches an inference service inside the cluster. */
export interface InferenceEndpoint {
  /** Name of the pool, e.g. `yolo`. */
  readonly name: string;
  /** Namespace of the pool's pods and Service. */
  readonly namespace: string;
  /** In-cluster DNS name of the pool's Service. */
  readonly host: string;
  /** HTTP port (KServe v2 / Triton HTTP API). */
  readonly httpPort: number;
  /** gRPC port (KServe v2 / Triton gRPC API). */
  readonly grpcPort: number;
}

/** Anything an analysis service can send inference requests to. */
export interface IInferenceEndpoint {
  /** Describes how to reach this inference service. */
  toInferenceEndpoint(): InferenceEndpoint;
  /**
   * Lets `client`'s pods call the service on its HTTP and gRPC ports, whether or not they share
   * its namespace.
   */
  allowClient(client: IConnectable): void;
}
