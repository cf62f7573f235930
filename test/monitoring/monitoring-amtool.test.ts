import { Duration } from 'cdk8s';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { MonitoringBundle, Receiver } from '../../lib';
import { LayeredApp } from '../../lib/synth/layered-app';
import { buildReferencePlatform } from '../../main';
import { KubeObject, findObject, synthValid, testChart } from '../_helpers';
import { amtool, inTempDir } from '../_promtool';

// Alertmanager's own checker proves the Alertmanager configuration the bundle writes: that it
// loads, and that alerts reach the receivers the README promises. Debian's amtool is 0.25;
// the bundle runs Alertmanager 0.27, whose webhook `url_file` (a Secret mounted as a file) 0.25
// does not know. The check therefore gives amtool a stand-in `url` in its place, and nothing else.

type Json = { [key: string]: any };

/** The configuration as Alertmanager reads it from the ConfigMap. */
function alertmanagerYaml(objects: readonly KubeObject[], namespace: string): string {
  return findObject(objects, 'ConfigMap', 'alertmanager-config', namespace).data['alertmanager.yml'];
}

/** Replaces every webhook `url_file` with a `url`, which amtool 0.25 understands, and counts them. */
function forAmtool(yaml: string): { yaml: string; standIns: number } {
  const config = parseYaml(yaml) as Json;
  let standIns = 0;
  for (const receiver of config.receivers ?? []) {
    for (const webhook of receiver.webhook_configs ?? []) {
      if (webhook.url_file === undefined) continue;
      expect(webhook.url).toBeUndefined();
      webhook.url = `https://stand-in.invalid${webhook.url_file}`;
      delete webhook.url_file;
      standIns++;
    }
  }
  return { yaml: toYaml(config), standIns };
}

function checkConfig(yaml: string): { status: number; output: string } {
  return inTempDir({ 'alertmanager.yml': yaml }, (dir) => amtool(['check-config', 'alertmanager.yml'], dir));
}

/** The receivers an alert with these labels reaches, as amtool resolves the routing tree. */
function receiversOf(yaml: string, labels: Readonly<Record<string, string>>): string[] {
  const args = ['config', 'routes', 'test', '--config.file=alertmanager.yml', ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  const run = inTempDir({ 'alertmanager.yml': yaml }, (dir) => amtool(args, dir));
  expect({ status: run.status, output: run.output }).toEqual(expect.objectContaining({ status: 0 }));
  // The first line lists the receivers, comma-separated; the rest are warnings about flags.
  return run.output.split('\n')[0].split(',').map((name) => name.trim());
}

function referenceConfig(): string {
  const app = new LayeredApp({ outdir: 'unused', recordConstructMetadata: false });
  buildReferencePlatform(app);
  app.synthYaml();
  const objects = app.charts.flatMap((chart) => chart.toJson() as KubeObject[]);
  return forAmtool(alertmanagerYaml(objects, 'monitoring')).yaml;
}

/** A bundle with every kind of receiver and route the library offers. */
function everyReceiverConfig(): { yaml: string; standIns: number } {
  const chart = testChart();
  new MonitoringBundle(chart, 'monitoring', {
    receivers: [
      Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } }),
      Receiver.webhook('chat', { url: 'https://chat.example.com/hooks/video', bearerTokenSecret: { secretName: 'chat-token', key: 'token' }, sendResolved: false }),
      Receiver.email('site-team', {
        to: 'site-team@example.com', from: 'alerts@example.com', smarthost: 'smtp.example.com:587',
        authUsername: 'alerts', authPasswordSecret: { secretName: 'smtp', key: 'password' },
      }),
      Receiver.webhook('deadmans-switch', { url: 'https://heartbeat.example.com/ping' }),
    ],
    routes: [
      { receiver: 'site-team', matchers: { namespace: 'video-analytics', severity: 'warning' }, continue: true },
      { receiver: 'chat', matchers: { namespace: 'video-analytics' }, repeatInterval: Duration.hours(12) },
    ],
    watchdogReceiver: 'deadmans-switch',
  });
  return forAmtool(alertmanagerYaml(synthValid(chart), 'monitoring'));
}

describe('the Alertmanager configuration, checked by amtool', () => {
  test('of the reference platform loads', () => {
    const run = checkConfig(referenceConfig());
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  test('of the reference platform routes alerts as documented', () => {
    const yaml = referenceConfig();
    expect(receiversOf(yaml, { alertname: 'CameraStreamDown', severity: 'critical', namespace: 'video-analytics' })).toEqual(['ops']);
    expect(receiversOf(yaml, { alertname: 'GpuMemoryNearlyFull', severity: 'warning', namespace: 'video-analytics' })).toEqual(['ops']);
    // The heartbeat and the never-paged alerts reach nobody without a dead man's switch.
    expect(receiversOf(yaml, { alertname: 'Watchdog', severity: 'none' })).toEqual(['null']);
    expect(receiversOf(yaml, { alertname: 'InfoOnly', severity: 'none', namespace: 'video-analytics' })).toEqual(['null']);
  });

  test('with every receiver and route the library offers loads, and routes in order', () => {
    const { yaml, standIns } = everyReceiverConfig();
    expect(standIns).toBe(1);
    const run = checkConfig(yaml);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
    expect(receiversOf(yaml, { alertname: 'Watchdog', severity: 'none' })).toEqual(['deadmans-switch']);
    // `continue` on the first route lets a warning reach the site team and the chat.
    expect(receiversOf(yaml, { alertname: 'AnalysisProcessingLag', severity: 'warning', namespace: 'video-analytics' })).toEqual(['site-team', 'chat']);
    expect(receiversOf(yaml, { alertname: 'CameraStreamDown', severity: 'critical', namespace: 'video-analytics' })).toEqual(['chat']);
    expect(receiversOf(yaml, { alertname: 'NodeDown', severity: 'critical', namespace: 'monitoring' })).toEqual(['ops']);
  });

  test('fails on a configuration Alertmanager would refuse, so the checks above can fail', () => {
    const broken = parseYaml(referenceConfig()) as Json;
    broken.route.routes[0].receiver = 'nobody';
    const run = checkConfig(toYaml(broken));
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/undefined receiver "nobody"/);
  });
});
