import { ApiObject, ApiObjectMetadata, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { plainApiObjectJson } from './_plain-json';

/** What a {@link ConfigMapObject} holds. */
export interface ConfigMapObjectProps {
  /** Name, namespace and labels of the ConfigMap. */
  readonly metadata: ApiObjectMetadata;
  /** File name to text; written with sorted keys, as cdk8s writes every map. */
  readonly data: { readonly [key: string]: string };
}

/**
 * A ConfigMap written exactly as `k8s.KubeConfigMap` writes it, in time linear in its keys.
 *
 * Why not `k8s.KubeConfigMap`: its generated serializer copies the whole `data` map once per key,
 * so a ConfigMap of 2,000 rule files (the Prometheus rules at 10,000 cameras) took half a second
 * per serialization. A ConfigMap has no nested typed fields for that serializer to map anyway.
 * Its data is plain text, so it also skips cdk8s's resolver walk when that walk cannot change it.
 */
export class ConfigMapObject extends ApiObject {
  private readonly body: { readonly apiVersion: string; readonly kind: string; readonly data: ConfigMapObjectProps['data'] };
  private hasPatches = false;

  constructor(scope: Construct, id: string, props: ConfigMapObjectProps) {
    super(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: props.metadata, data: props.data });
    this.body = { apiVersion: 'v1', kind: 'ConfigMap', data: props.data };
  }

  public override addJsonPatch(...ops: JsonPatch[]): void {
    this.hasPatches = true;
    super.addJsonPatch(...ops);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ApiObject.toJson()
  public override toJson(): any {
    return plainApiObjectJson(this, this.body, this.hasPatches) ?? super.toJson();
  }
}
