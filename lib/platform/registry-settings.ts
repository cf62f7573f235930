import { IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { scopedImage, scopedPullSecrets } from '../synth/pod/builder';
import { ScopeSettings, checkRegistrySettings } from '../synth/pod/scope-settings';

export { repositoryPath } from '../synth/pod/scope-settings';

/** Where the platform's workloads pull their images from. */
export interface RegistrySettingsProps {
  /**
   * Host (and port) of a registry that mirrors every image the platform uses, e.g.
   * `registry.video-analytics.internal:5000`. Images are rewritten to it:
   * `nvcr.io/nvidia/tritonserver:24.08-py3` becomes `<mirror>/nvidia/tritonserver:24.08-py3`,
   * `busybox:1.36.1` becomes `<mirror>/library/busybox:1.36.1`.
   * @default - images are pulled from where their references point
   */
  readonly mirror?: string;
  /**
   * Secrets of type `kubernetes.io/dockerconfigjson` every pod uses to pull images, in each workload's namespace.
   * @default - none
   */
  readonly imagePullSecrets?: readonly string[];
}

/**
 * Platform-wide image settings, set once on a scope (usually the App or the platform) and applied
 * by the pod builder to every pod made below it, and to every image named outside a pod (the K3s
 * upgrade Plans): one setting, not one prop per construct. The registry part of {@link ScopeSettings}.
 */
export class RegistrySettings {
  /** Applies the settings to every construct created under `scope` after this call. */
  public static apply(scope: IConstruct, props: RegistrySettingsProps): void {
    checkRegistrySettings('RegistrySettings', props);
    ScopeSettings.apply(scope, { mirror: props.mirror, imagePullSecrets: props.imagePullSecrets });
  }

  /** The settings in force at `scope`. */
  public static of(scope: IConstruct): RegistrySettingsProps {
    const { mirror, imagePullSecrets } = ScopeSettings.of(scope);
    return { ...(mirror === undefined ? {} : { mirror }), ...(imagePullSecrets === undefined ? {} : { imagePullSecrets }) };
  }

  /** The image as pods under `scope` should pull it. */
  public static image(scope: IConstruct, image: string): string {
    return scopedImage(scope, image);
  }

  /** The imagePullSecrets of pods under `scope`. */
  public static pullSecrets(scope: IConstruct): k8s.LocalObjectReference[] | undefined {
    return scopedPullSecrets(scope);
  }
}
