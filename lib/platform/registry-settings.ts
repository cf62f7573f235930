import { IConstruct } from 'constructs';
import { ScopeSettings, ScopeSettingsProps, checkRegistrySettings } from '../synth/pod/scope-settings';

/** Where the platform's workloads pull their images from: the registry part of {@link ScopeSettingsProps}. */
export type RegistrySettingsProps = Pick<ScopeSettingsProps, 'mirror' | 'imagePullSecrets'>;

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
}
