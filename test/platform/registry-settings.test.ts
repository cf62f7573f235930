import { Chart } from 'cdk8s';
import { AnalysisService, RegistrySettings, StreamIngest, StreamSelection } from '../../lib';
import { repositoryPath } from '../../lib/synth/pod/scope-settings';
import { findObject, synthValid, testApp } from '../_helpers';

describe('RegistrySettings', () => {
  test.each([
    ['busybox:1.36.1', 'library/busybox:1.36.1'],
    ['bluenviron/mediamtx:1.19.3', 'bluenviron/mediamtx:1.19.3'],
    ['nvcr.io/nvidia/tritonserver:24.08-py3', 'nvidia/tritonserver:24.08-py3'],
    ['localhost/tools/x:1', 'tools/x:1'],
    ['registry.local:5000/a/b@sha256:abc', 'a/b@sha256:abc'],
  ])('the repository path of %s is %s', (image, path) => {
    expect(repositoryPath(image)).toBe(path);
  });

  test('a mirror rewrites every image and pull secrets reach every pod', () => {
    const app = testApp();
    RegistrySettings.apply(app, { mirror: 'registry.video-analytics.internal:5000', imagePullSecrets: ['mirror-pull'] });
    const chart = new Chart(app, 'chart');
    const ingest = new StreamIngest(chart, 'ingest', { namespace: 'va', cameras: [{ id: 'a', url: 'rtsp://10.0.0.1/x', credentials: { secretName: 'cams' } }] });
    new AnalysisService(chart, 'smoke', { namespace: 'va', image: 'detectors/smoke:2.0.1', streams: StreamSelection.all(ingest) });
    const objects = synthValid(chart);

    const ingestPod = findObject(objects, 'Deployment', 'ingest-shard-0').spec.template.spec;
    expect(ingestPod.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
    expect(ingestPod.containers[0].image).toBe('registry.video-analytics.internal:5000/bluenviron/mediamtx:1.19.3');
    expect(ingestPod.initContainers[0].image).toBe('registry.video-analytics.internal:5000/library/busybox:1.36.1');
    const analysisPod = findObject(objects, 'Deployment', 'smoke').spec.template.spec;
    expect(analysisPod.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
    expect(analysisPod.containers[0].image).toBe('registry.video-analytics.internal:5000/detectors/smoke:2.0.1');
  });

  test('without settings, images and pods are untouched', () => {
    const chart = new Chart(testApp(), 'chart');
    new StreamIngest(chart, 'ingest', { namespace: 'va', cameras: [{ id: 'a', url: 'rtsp://10.0.0.1/x' }] });
    const pod = findObject(synthValid(chart), 'Deployment', 'ingest-shard-0').spec.template.spec;
    expect(pod).not.toHaveProperty('imagePullSecrets');
    expect(pod.containers[0].image).toBe('bluenviron/mediamtx:1.19.3');
  });

  test('refuses a mirror that is not a host', () => {
    expect(() => RegistrySettings.apply(testApp(), { mirror: 'https://registry.example.internal' }))
      .toThrow(/RegistrySettings: 'mirror' \(https:\/\/registry.example.internal\) must be a registry host with an optional port/);
  });
});

describe('RegistrySettings: fixed in #8', () => {
  test.each([
    [{ mirror: 'registry.example.internal:99999' }, /^RegistrySettings: 'mirror' \(registry\.example\.internal:99999\) must be a registry host with an optional port/],
    [{ imagePullSecrets: ['mirror-pull', 'Mirror Pull'] }, /^RegistrySettings: 'imagePullSecrets\[1\]' \(Mirror Pull\) must be a Secret name/],
  ])('refuses %j', (props, message) => {
    expect(() => RegistrySettings.apply(testApp(), props)).toThrow(message);
  });
});
