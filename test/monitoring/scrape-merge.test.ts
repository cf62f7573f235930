import { Construct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import { IScrapeTarget, ScrapeTarget } from '../../lib';
import { MonitoringBundle, Receiver } from '../../lib/monitoring/monitoring-bundle';
import { MERGE_JOBS_FROM } from '../../lib/monitoring/_prometheus';
import { KubeObject, findObject, synthValid, testChart } from '../_helpers';

// Jobs of one shape are merged into one scrape config at city scale. Prometheus must still scrape
// exactly the pods each job selects, and label their series with that job's name. This test
// replays Prometheus's relabelling on pods and compares with what the scrape targets ask for.

const NS = 'video-analytics';

class Target extends Construct implements IScrapeTarget {
  constructor(scope: Construct, id: string, private readonly target: ScrapeTarget) {
    super(scope, id);
  }

  public toScrapeTarget(): ScrapeTarget {
    return this.target;
  }
}

interface Pod {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly portName: string;
  readonly phase: string;
}

type RelabelConfig = { source_labels?: string[]; separator?: string; regex?: string; action?: string; target_label?: string; replacement?: string };

/** Prometheus's keep, drop and replace, with its anchored regular expressions. */
function relabel(labels: Record<string, string>, configs: readonly RelabelConfig[]): Record<string, string> | undefined {
  const out = { ...labels };
  for (const config of configs) {
    const value = (config.source_labels ?? []).map((name) => out[name] ?? '').join(config.separator ?? ';');
    const match = new RegExp(`^(?:${config.regex ?? '(.*)'})$`).exec(value);
    const action = config.action ?? 'replace';
    if (action === 'keep' && !match) return undefined;
    if (action === 'drop' && match) return undefined;
    if (action === 'replace' && match) out[config.target_label!] = (config.replacement ?? '$1').replace('$1', match[1] ?? '');
  }
  return out;
}

/** The (job, pod) pairs Prometheus scrapes with this configuration, from pods discovered in their namespaces. */
function scraped(config: KubeObject, pods: readonly Pod[]): string[] {
  const pairs: string[] = [];
  for (const job of config.scrape_configs as KubeObject[]) {
    const namespaces: string[] = job.kubernetes_sd_configs?.[0]?.namespaces?.names ?? [];
    for (const pod of pods.filter((p) => namespaces.includes(p.namespace))) {
      const discovered: Record<string, string> = {
        job: job.job_name,
        __meta_kubernetes_namespace: pod.namespace,
        __meta_kubernetes_pod_name: pod.name,
        __meta_kubernetes_pod_container_port_name: pod.portName,
        __meta_kubernetes_pod_phase: pod.phase,
        ...Object.fromEntries(Object.entries(pod.labels).map(([k, v]) => [`__meta_kubernetes_pod_label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`, v])),
      };
      const target = relabel(discovered, job.relabel_configs);
      if (target) pairs.push(`${target.job} ${target.pod}`);
    }
  }
  return pairs.sort();
}

/** What the targets ask for: each pod whose namespace, labels and port name match a target, as that target's job. */
function wanted(targets: readonly ScrapeTarget[], pods: readonly Pod[]): string[] {
  return targets.flatMap((t) => pods
    .filter((p) => p.namespace === t.namespace && p.portName === t.portName && p.phase === 'Running'
      && Object.entries(t.podSelector).every(([k, v]) => p.labels[k] === v))
    .map((p) => `${t.jobName} ${p.name}`)).sort();
}

function detection(i: number): ScrapeTarget {
  const name = `detection-${i}`;
  return {
    jobName: name, namespace: NS, portName: 'http', port: 8080,
    podSelector: { 'app.kubernetes.io/component': 'analysis', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/name': i % 2 === 0 ? 'helmet' : 'smoke' },
  };
}

function pods(targets: readonly ScrapeTarget[]): Pod[] {
  return targets.flatMap((t, i) => [
    { name: `${t.jobName}-a`, namespace: t.namespace, labels: { ...t.podSelector }, portName: t.portName, phase: 'Running' },
    { name: `${t.jobName}-b`, namespace: t.namespace, labels: { ...t.podSelector }, portName: t.portName, phase: 'Running' },
    // Decoys: the right instance with another name label, another port, a pending pod, another namespace.
    { name: `${t.jobName}-other-name`, namespace: t.namespace, labels: { ...t.podSelector, 'app.kubernetes.io/name': 'other' }, portName: t.portName, phase: 'Running' },
    { name: `${t.jobName}-other-port`, namespace: t.namespace, labels: { ...t.podSelector }, portName: 'debug', phase: 'Running' },
    { name: `${t.jobName}-pending`, namespace: t.namespace, labels: { ...t.podSelector }, portName: t.portName, phase: 'Pending' },
    { name: `${t.jobName}-elsewhere`, namespace: i % 2 === 0 ? 'edge' : t.namespace, labels: { ...t.podSelector, 'app.kubernetes.io/instance': `${t.jobName}x` }, portName: t.portName, phase: 'Running' },
  ]);
}

function prometheusConfig(targets: readonly ScrapeTarget[]): KubeObject {
  const chart = testChart();
  const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [Receiver.webhook('ops', { url: 'https://alerts.example.com/hook' })] });
  targets.forEach((target, i) => bundle.watch(new Target(chart, `target-${i}`, target)));
  return parseYaml(findObject(synthValid(chart), 'ConfigMap', 'prometheus-config').data['prometheus.yml']);
}

describe('scrape configs of jobs of one shape', () => {
  test(`from ${MERGE_JOBS_FROM} jobs on, one scrape config keeps exactly the pods of each job, labelled with its name`, () => {
    const targets = Array.from({ length: MERGE_JOBS_FROM + 4 }, (_, i) => detection(i));
    const config = prometheusConfig(targets);
    const names = (config.scrape_configs as KubeObject[]).map((job) => job.job_name);
    expect(names.filter((name) => name.startsWith('detection-'))).toEqual([]);
    expect(names).toContain(`${NS}/analysis/http`);
    const everyPod = pods(targets);
    expect(scraped(config, everyPod).filter((pair) => pair.startsWith('detection-'))).toEqual(wanted(targets, everyPod));
    expect(wanted(targets, everyPod)).toHaveLength(2 * targets.length);
  });

  test('below that, one scrape config per job, keeping the same pods', () => {
    const targets = Array.from({ length: MERGE_JOBS_FROM - 1 }, (_, i) => detection(i));
    const config = prometheusConfig(targets);
    expect((config.scrape_configs as KubeObject[]).map((job) => job.job_name)).toEqual(expect.arrayContaining(targets.map((t) => t.jobName)));
    const everyPod = pods(targets);
    expect(scraped(config, everyPod).filter((pair) => pair.startsWith('detection-'))).toEqual(wanted(targets, everyPod));
  });

  test('the replay can fail: a merged config that kept every analysis pod would be caught', () => {
    const targets = Array.from({ length: MERGE_JOBS_FROM }, (_, i) => detection(i));
    const config = prometheusConfig(targets);
    const merged = (config.scrape_configs as KubeObject[]).find((job) => job.job_name === `${NS}/analysis/http`)!;
    merged.relabel_configs = merged.relabel_configs.filter((r: RelabelConfig) => r.separator === undefined);
    const everyPod = pods(targets);
    expect(scraped(config, everyPod).filter((pair) => pair.startsWith('detection-'))).not.toEqual(wanted(targets, everyPod));
  });
});
