/**
 * Pods that call an inference pool carry this label with value `'true'`; the pool's
 * NetworkPolicy admits its HTTP and gRPC ports only from them.
 */
export const INFERENCE_CLIENT_LABEL = 'video-analytics.io/inference-client';

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
  /** Labels that select the pool's pods, for NetworkPolicies. */
  readonly podSelector: { readonly [key: string]: string };
}

/** Anything an analysis service can send inference requests to. */
export interface IInferenceEndpoint {
  /** Describes how to reach this inference service. */
  toInferenceEndpoint(): InferenceEndpoint;
}
