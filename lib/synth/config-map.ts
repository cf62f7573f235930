import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { withPlainJson } from './plain-json';
import { spreadOf } from '../core/spread';

/** What a {@link ConfigMapObject} holds. */
export interface ConfigMapObjectProps {
  /** Name, namespace and labels of the ConfigMap. */
  readonly metadata: ApiObjectMetadata;
  /** File name to text; written with sorted keys, as cdk8s writes every map. */
  readonly data: { readonly [key: string]: string };
}

/** A ConfigMap as a bare ApiObject: no generated serializer to run on its data. */
class ConfigMapApiObject extends ApiObject {
  public static readonly GVK = { apiVersion: 'v1', kind: 'ConfigMap' };

  constructor(scope: Construct, id: string, props: ConfigMapObjectProps) {
    super(scope, id, spreadOf(ConfigMapApiObject.GVK, props));
  }
}

/**
 * A ConfigMap written exactly as `k8s.KubeConfigMap` writes it, in time linear in its keys.
 *
 * Why not `k8s.KubeConfigMap`: its generated serializer copies the whole `data` map once per key,
 * so a ConfigMap of 2,000 rule files (the Prometheus rules at 10,000 cameras) took half a second
 * per serialization. A ConfigMap has no nested typed fields for that serializer to map anyway.
 * Its data is plain text, so it also skips cdk8s's resolver walk when that walk cannot change it.
 */
export const ConfigMapObject = withPlainJson<ConfigMapObjectProps, typeof ConfigMapApiObject>(ConfigMapApiObject, (json) => json as Record<string, unknown> | undefined);
/** An instance of {@link ConfigMapObject}. */
export type ConfigMapObject = InstanceType<typeof ConfigMapObject>;
