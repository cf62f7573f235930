import { Size, SizeRoundingBehavior } from 'cdk8s';
import { Cpu, k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { propError } from '../core/errors';
import { requirePinnedImage } from '../core/images';
import { dns1123Subdomain } from '../core/names';
import { KubePersistentVolumeClaim } from '../synth/kube-objects';
import { ContainerOptions } from '../synth/pod/builder';
import { FullResources, toResourceRequirements } from '../synth/pod/resources';

/** Name of the volume a repository adds to each worker pod. */
const MODELS_VOLUME = 'models';
/**
 * Where the loader sees the volume: not `/models`, which model images commonly use and a mount
 * would hide. A path of the image at or below it cannot be copied.
 */
const LOADER_TARGET = '/load-models-target';
/** Loader images are copied with `cp`, so anything with coreutils or busybox works. */
const LOADER_RESOURCES: FullResources = {
  cpu: { request: Cpu.millis(100), limit: Cpu.units(1) },
  memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
};

/** Access modes a new model volume can have. */
export enum ModelVolumeAccessMode {
  /** Mounted by pods on one node: workers on other nodes cannot start. local-path supports only this. */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Mounted by pods on any number of nodes; needs a storage class that supports it (NFS, Longhorn, ...). */
  READ_WRITE_MANY = 'ReadWriteMany',
}

/** Options of {@link ModelRepository.newVolume}. */
export interface NewModelVolumeOptions {
  /**
   * StorageClass of the claim.
   * @default 'local-path' - the K3s default
   */
  readonly storageClassName?: string;
  /**
   * Access mode of the claim.
   * @default ModelVolumeAccessMode.READ_WRITE_ONCE
   */
  readonly accessMode?: ModelVolumeAccessMode;
}

/**
 * The node disk a copy of the models may take by default: room for the usual inference models
 * (detectors of tens to hundreds of MiB, TensorRT plans of a few GiB) without reserving a GPU
 * node's disk for models it does not hold.
 */
export const DEFAULT_MODEL_CACHE_SIZE = Size.gibibytes(10);

/** Options of {@link ModelRepository.fromImage}. */
export interface ModelImageOptions {
  /**
   * Most node disk the copied models may take (the emptyDir's `sizeLimit`). Each worker requests
   * it as ephemeral storage, so the scheduler only places a worker on a node with that much
   * disk left; a worker whose copy grows beyond it is evicted. Set it to the size of the models
   * with some room.
   * @default DEFAULT_MODEL_CACHE_SIZE (10Gi)
   */
  readonly sizeLimit?: Size;
}

/** Where a worker pool is, for {@link ModelRepository.bind}. */
export interface ModelRepositoryBindOptions {
  /** Construct id of the pool, for error messages. */
  readonly poolId: string;
  /** Name of the pool. */
  readonly poolName: string;
  /** Namespace of the pool. */
  readonly namespace: string;
  /** Labels for objects the repository creates. */
  readonly labels: { readonly [key: string]: string };
  /** The most workers that mount the repository at once. */
  readonly maxWorkers: number;
  /** How many nodes those workers may spread over. */
  readonly nodes: number;
}

/** What a model repository adds to each worker pod. */
export interface ModelRepositoryBinding {
  /** The volume named `models`, mounted read-only at `/models` in the server container. */
  readonly volume: k8s.Volume;
  /** Containers that fill the volume before the server starts; the pod builder pulls and secures them like the server. */
  readonly initContainers: ContainerOptions[];
}

/**
 * Where Triton finds its models: mounted read-only at `/models` in every worker. Triton never
 * writes to its repository, so no worker can damage the models of another.
 */
export class ModelRepository {
  /**
   * A new PersistentVolumeClaim `<pool>-models`. Fill it from a helper pod that mounts the claim.
   * A ReadWriteOnce volume (all that local-path offers) holds one node's workers only: a pool that
   * may run several workers on several GPU nodes needs a ReadWriteMany storage class.
   */
  public static newVolume(size: Size, options: NewModelVolumeOptions = {}): ModelRepository {
    return new ModelRepository((scope, bind) => bindNewVolume(scope, bind, size, options));
  }

  /**
   * A claim that already holds the models, e.g. on NFS. With workers on several nodes it must be
   * ReadWriteMany or ReadOnlyMany.
   */
  public static existingClaim(claimName: string): ModelRepository {
    return new ModelRepository((_scope, bind) => {
      const problem = dns1123Subdomain(claimName);
      if (problem) throw propError('GpuWorkerPool', bind.poolId, 'modelRepository.claimName', claimName, `a DNS-1123 subdomain (${problem})`, 'Use the name of an existing PersistentVolumeClaim.');
      return { volume: { name: MODELS_VOLUME, persistentVolumeClaim: { claimName, readOnly: true } }, initContainers: [] };
    });
  }

  /**
   * Models baked into an image: an init container copies `path` of that image into an emptyDir
   * of `sizeLimit` at each worker start. Versioned like code, needs no shared storage; the image
   * needs `cp`. The copy takes node disk: each worker requests `sizeLimit` of ephemeral storage.
   * @param image the image holding the models, pinned by tag or digest
   * @param path absolute path of the model repository inside that image
   */
  public static fromImage(image: string, path: string, options: ModelImageOptions = {}): ModelRepository {
    return new ModelRepository((_scope, bind) => bindImage(bind, image, path, options));
  }

  private constructor(private readonly binder: (scope: Construct, options: ModelRepositoryBindOptions) => ModelRepositoryBinding) {}

  /** Called by the pool: creates what the repository needs in `scope` and says what each pod adds. */
  public bind(scope: Construct, options: ModelRepositoryBindOptions): ModelRepositoryBinding {
    return this.binder(scope, options);
  }
}

function bindNewVolume(scope: Construct, bind: ModelRepositoryBindOptions, size: Size, options: NewModelVolumeOptions): ModelRepositoryBinding {
  const accessMode = options.accessMode ?? ModelVolumeAccessMode.READ_WRITE_ONCE;
  const storageClassName = options.storageClassName ?? 'local-path';
  if (accessMode === ModelVolumeAccessMode.READ_WRITE_ONCE && bind.maxWorkers > 1 && bind.nodes > 1) {
    throw propError('GpuWorkerPool', bind.poolId, 'modelRepository', `a new ReadWriteOnce volume on ${storageClassName}`,
      `mountable on every node its ${bind.maxWorkers} workers spread over (${bind.nodes} GPU nodes)`,
      'Use ModelRepository.fromImage(), an existing ReadWriteMany claim, newVolume() with ModelVolumeAccessMode.READ_WRITE_MANY on a storage class that offers it, or maxWorkers 1.');
  }
  // Not toMebibytes(): its default rounding throws on sizes such as 1500Ki instead of naming the prop.
  if (!(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) >= 1024)) {
    throw propError('GpuWorkerPool', bind.poolId, 'modelRepository.size', size.asString(), 'at least 1Mi', 'Size the volume for the models it holds.');
  }
  const classProblem = dns1123Subdomain(storageClassName);
  if (classProblem) {
    throw propError('GpuWorkerPool', bind.poolId, 'modelRepository.storageClassName', storageClassName, `a StorageClass name (${classProblem})`, 'Use a StorageClass of the cluster, such as local-path.');
  }
  const claimName = `${bind.poolName}-models`;
  new KubePersistentVolumeClaim(scope, 'models', {
    metadata: { name: claimName, namespace: bind.namespace, labels: { ...bind.labels } },
    spec: {
      storageClassName,
      accessModes: [accessMode],
      volumeMode: 'Filesystem',
      resources: { requests: { storage: k8s.Quantity.fromString(size.asString()) } },
    },
  });
  return { volume: { name: MODELS_VOLUME, persistentVolumeClaim: { claimName, readOnly: true } }, initContainers: [] };
}

function bindImage(bind: ModelRepositoryBindOptions, image: string, path: string, options: ModelImageOptions): ModelRepositoryBinding {
  const source = path.replace(/\/+$/, '');
  if (!path.startsWith('/') || source === '' || source === LOADER_TARGET || source.startsWith(`${LOADER_TARGET}/`)) {
    throw propError('GpuWorkerPool', bind.poolId, 'modelRepository.path', path, `an absolute path below / and outside ${LOADER_TARGET}`, "Give the folder that holds the models inside the image, e.g. '/models'.");
  }
  requirePinnedImage('GpuWorkerPool', bind.poolId, 'modelRepository.image', image);
  const sizeLimit = options.sizeLimit ?? DEFAULT_MODEL_CACHE_SIZE;
  if (!(sizeLimit.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) >= 1024)) {
    throw propError('GpuWorkerPool', bind.poolId, 'modelRepository.sizeLimit', sizeLimit.asString(), 'at least 1Mi', 'Size the copy for the models the image holds, with some room.');
  }
  return {
    volume: { name: MODELS_VOLUME, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit.asString()) } },
    initContainers: [{
      name: 'load-models',
      image,
      // `-R` rather than `-a`: the copy belongs to the non-root pod user, who cannot keep the image's owners.
      command: ['cp', '-R', `${source}/.`, `${LOADER_TARGET}/`],
      resources: toResourceRequirements(LOADER_RESOURCES),
      volumeMounts: [{ name: MODELS_VOLUME, mountPath: LOADER_TARGET }],
    }],
  };
}
