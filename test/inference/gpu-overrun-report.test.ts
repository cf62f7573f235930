import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { GpuRequest, GpuSharing, LayeredApp, ModelRepository, Receiver, VideoAnalyticsPlatform } from '../../lib';

// A platform whose one GPU (two slices) cannot hold the pool's six workers at maximum scale.
function overrunIn(app: App): void {
  const platform = new VideoAnalyticsPlatform(app, 'va', {
    cameras: [{ id: 'cam-1', url: 'rtsp://10.0.0.1/live' }],
    gpu: { nodes: 1, gpusPerNode: 1, sharing: GpuSharing.timeSlicing({ replicas: 2 }) },
    monitoring: { receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'hook', key: 'url' } })] },
  });
  platform.addInferencePool('yolo', {
    modelRepository: ModelRepository.fromImage('models/yolo:1.0.0', '/models'), gpusPerWorker: GpuRequest.shared({ share: 1 }), minWorkers: 2, maxWorkers: 6,
  });
}

/** The errors of a failed synth, one per `[path] message` line. */
function synthErrors(app: App): string[] {
  try {
    app.synth();
  } catch (error) {
    return (error as Error).message.split('\n').filter((line) => line.startsWith('  [')).map((line) => line.trim());
  } finally {
    fs.rmSync(app.outdir, { recursive: true, force: true });
  }
  return [];
}

const INVENTORY_ERROR = /^\[02-va-gpu\/gpus\] GpuInventory 'gpus': 'capacity' \(2 GPU slices: 1 node × 1 GPU × 2 slices\) must be enough for every consumer at maximum scale/;

describe('a GPU inventory overrun is reported once, with its construct path', () => {
  const outdir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-overrun-'));

  test('under a LayeredApp', () => {
    const app = new LayeredApp({ outdir: outdir() });
    overrunIn(app);
    const errors = synthErrors(app);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(INVENTORY_ERROR);
  });

  // Known defect, not fixed here (lib/platform/video-analytics-platform.ts passes the inventory's
  // capacity to PlatformPolicies too, whose sum check, registered on the App, repeats the overrun as
  // "[] [gpu-scheduling] ... more than the 2 the inventory declares"). Make this a plain `test`
  // once the platform calls PlatformPolicies.enforce(app) without gpuCapacity.
  test('under a plain App', () => {
    const app = new App({ outdir: outdir(), recordConstructMetadata: false });
    overrunIn(app);
    const errors = synthErrors(app);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(INVENTORY_ERROR);
  });
});
