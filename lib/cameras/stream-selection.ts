import { propError } from '../core/errors';
import { IStreamSource, SourceCamera, StreamSource } from './stream-source';

/** Cameras by label key and value, per camera list: built once per stream source, in its order. */
const labelIndexes = new WeakMap<readonly SourceCamera[], Map<string, Map<string, SourceCamera[]>>>();

function labelled(cameras: readonly SourceCamera[], [key, value]: [string, string]): readonly SourceCamera[] {
  let index = labelIndexes.get(cameras);
  if (index === undefined) {
    index = new Map();
    for (const camera of cameras) {
      for (const [k, v] of Object.entries(camera.spec.labels ?? {})) {
        const byValue = index.get(k) ?? index.set(k, new Map()).get(k)!;
        (byValue.get(v) ?? byValue.set(v, []).get(v)!).push(camera);
      }
    }
    labelIndexes.set(cameras, index);
  }
  return index.get(key)?.get(value) ?? [];
}

/**
 * Which cameras of a stream source an analysis service analyses: `StreamSelection.all(ingest)`,
 * `StreamSelection.cameras(ingest, ['cam-1', 'cam-2'])` or `StreamSelection.withLabels(ingest, { site: 'warehouse' })`.
 */
export class StreamSelection {
  /** Every camera of the source. */
  public static all(source: IStreamSource): StreamSelection {
    return new StreamSelection(source, (cameras) => cameras, 'all cameras');
  }

  /** The cameras with these ids; an id the source does not have is refused. */
  public static cameras(source: IStreamSource, cameraIds: readonly string[]): StreamSelection {
    const wanted = new Set(cameraIds);
    return new StreamSelection(source, (cameras) => cameras.filter((camera) => wanted.has(camera.spec.id)), `cameras ${cameraIds.join(', ')}`, cameraIds);
  }

  /** The cameras whose labels include all of these. */
  public static withLabels(source: IStreamSource, labels: { readonly [key: string]: string }): StreamSelection {
    const entries = Object.entries(labels);
    const matches = (camera: SourceCamera): boolean => entries.every(([k, v]) => camera.spec.labels?.[k] === v);
    // Through the label index: filtering every camera for every service is quadratic at city scale.
    const select = (cameras: readonly SourceCamera[]): readonly SourceCamera[] => (entries.length === 0 ? cameras : labelled(cameras, entries[0]).filter(matches));
    return new StreamSelection(source, select, `cameras labelled ${entries.map(([k, v]) => `${k}=${v}`).join(',')}`);
  }

  private constructor(
    /** The component that serves the streams. */
    public readonly source: IStreamSource,
    private readonly select: (cameras: readonly SourceCamera[]) => readonly SourceCamera[],
    /** How the selection was made, for error messages. */
    public readonly description: string,
    private readonly requiredIds: readonly string[] = [],
  ) {}

  /** The source and the selected cameras; throws in the owner's error style if the selection is wrong. */
  public resolve(owner: string, id: string): { source: StreamSource; cameras: readonly SourceCamera[] } {
    const source = this.source.toStreamSource();
    // Only selections by id need the set: building it for every service of a large platform is quadratic.
    const known = new Set(this.requiredIds.length > 0 ? source.cameras.map((c) => c.spec.id) : []);
    const unknown = this.requiredIds.filter((cameraId) => !known.has(cameraId));
    if (unknown.length > 0) {
      throw propError(owner, id, 'streams', unknown.join(', '), `cameras of stream source '${source.name}'`, `Use ids from its inventory, such as ${[...known].slice(0, 3).join(', ')}.`);
    }
    const cameras = this.select(source.cameras);
    if (cameras.length === 0) {
      throw propError(owner, id, 'streams', this.description, `a selection of at least one camera of stream source '${source.name}'`, 'Select cameras that exist.');
    }
    return { source, cameras };
  }
}
