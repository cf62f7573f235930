import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { dns1123Subdomain } from '../core/names';

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

const CONTEXT_KEY = 'cdk8s-video-analytics/registry';

/**
 * Platform-wide image settings, set once on a scope (usually the App or the platform) and read by
 * every construct below it when it builds a pod: one setting, not one prop per construct.
 */
export class RegistrySettings {
  /** Applies the settings to every construct created under `scope` after this call. */
  public static apply(scope: IConstruct, props: RegistrySettingsProps): void {
    const port = Number(props.mirror?.split(':')[1] ?? 1);
    if (props.mirror !== undefined && (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/.test(props.mirror) || port < 1 || port > 65535)) {
      throw new Error(`RegistrySettings: 'mirror' (${props.mirror}) must be a registry host with an optional port. Write it like 'registry.example.internal:5000'.`);
    }
    (props.imagePullSecrets ?? []).forEach((secret, i) => {
      // A name the API server would refuse is silently useless in imagePullSecrets: pulls just fail.
      const problem = dns1123Subdomain(secret);
      if (problem) throw new Error(`RegistrySettings: 'imagePullSecrets[${i}]' (${secret}) must be a Secret name (${problem}). Use the Secret's name as kubectl shows it.`);
    });
    scope.node.setContext(CONTEXT_KEY, props);
  }

  /** The settings in force at `scope`. */
  public static of(scope: IConstruct): RegistrySettingsProps {
    return (scope.node.tryGetContext(CONTEXT_KEY) as RegistrySettingsProps | undefined) ?? {};
  }

  /** The image as pods under `scope` should pull it. */
  public static image(scope: IConstruct, image: string): string {
    const mirror = RegistrySettings.of(scope).mirror;
    return mirror ? `${mirror}/${repositoryPath(image)}` : image;
  }

  /** The imagePullSecrets of pods under `scope`. */
  public static pullSecrets(scope: IConstruct): k8s.LocalObjectReference[] | undefined {
    const secrets = RegistrySettings.of(scope).imagePullSecrets ?? [];
    return secrets.length > 0 ? secrets.map((name) => ({ name })) : undefined;
  }
}

/** The repository path of an image reference without its registry host, as Docker resolves it. */
export function repositoryPath(image: string): string {
  const [first, ...rest] = image.split('/');
  const firstIsHost = rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (firstIsHost) return rest.join('/');
  return rest.length === 0 ? `library/${first}` : image;
}
