import { Duration } from 'cdk8s';
import { CAMERA_INFO_RECORD, PATH_INBOUND_BYTES_RECORD, PATH_READY_RECORD } from '../ingest/rules';
import { AlertRule, AlertSeverity, RecordingRule, RuleGroup, runbookUrl } from './alert-rules';
import { matcher, promDuration } from './_format';
import { KUBE_STATE_METRICS_JOB } from './_platform-rules';
import { FleetCentralSettings } from './_settings';

/** Group names, unique in the platform like every other. */
export const SITE_RULES_GROUP = 'fleet-site';
export const CENTRAL_RULES_GROUP = 'fleet-central';

/** A site's schedulable GPUs (GPU slots, with time-slicing) on its Ready nodes. */
export const GPU_ALLOCATABLE_RECORD = 'site:gpu_allocatable:sum';
/** GPUs that the site's running and pending pods request. */
export const GPU_REQUESTED_RECORD = 'site:gpu_requested:sum';
/** The share of the site's schedulable GPUs that no pod requests; negative when pods wait for GPUs. */
export const GPU_HEADROOM_RECORD = 'site:gpu_headroom:ratio';
/** Cameras the site's ingests expect, and those with a ready stream. */
export const CAMERAS_EXPECTED_RECORD = 'site:cameras_expected:count';
export const CAMERAS_READY_RECORD = 'site:cameras_ready:count';
/** Bytes per second the site receives from its cameras. */
export const CAMERA_INBOUND_BYTES_RECORD = 'site:camera_inbound_bytes:rate5m';

/** How long a site's GPU headroom stays low before the centre alerts: longer than a rollout's surge. */
const HEADROOM_LOW_FOR = Duration.minutes(15);

/**
 * The site's own series only. Every series a site remote-writes carries its `replica` external
 * label, and a Prometheus's own series never do: at a central site, where the same names arrive
 * from every site, `replica=""` keeps these rules to the central site's own cluster (its records
 * would otherwise take the other sites' series and clash once labelled with its own `site`).
 */
const LOCAL = 'replica=""';
const KSM = `${matcher('job', KUBE_STATE_METRICS_JOB)}, ${LOCAL}`;
const GPU = 'resource="nvidia_com_gpu"';

/**
 * The site-level series a fleet's centre alerts on and shows, recorded at each site and
 * remote-written (`site:…`): GPU capacity, demand and headroom, camera counts and ingest bitrate.
 * Each carries the bundle's external labels too, so that a central site's own records are
 * labelled like those that arrive from the others.
 */
export function siteRuleGroup(externalLabels: Readonly<Record<string, string>>): RuleGroup {
  const labels = Object.keys(externalLabels).length > 0 ? { ...externalLabels } : undefined;
  const record = (name: string, expr: string): RecordingRule => ({ record: name, expr, ...(labels ? { labels } : {}) });
  const allocatable = `kube_node_status_allocatable{${KSM}, ${GPU}}`;
  const ready = `kube_node_status_condition{${KSM}, condition="Ready", status="true"} == 1`;
  const requests = `kube_pod_container_resource_requests{${KSM}, ${GPU}}`;
  const waitingOrRunning = `kube_pod_status_phase{${KSM}, phase=~"Pending|Running"} == 1`;
  return {
    name: SITE_RULES_GROUP,
    recordings: [
      // GPUs of nodes that are not Ready are not capacity; a site whose GPU nodes are all down has 0, not nothing.
      record(GPU_ALLOCATABLE_RECORD, `sum(${allocatable} and on (node) (${ready})) or 0 * sum(${allocatable})`),
      // Pending pods count: they are demand the site cannot place.
      record(GPU_REQUESTED_RECORD, `sum(${requests} and on (namespace, pod) (${waitingOrRunning})) or vector(0)`),
      record(GPU_HEADROOM_RECORD, `1 - ${GPU_REQUESTED_RECORD}{${LOCAL}} / ${GPU_ALLOCATABLE_RECORD}{${LOCAL}}`),
      record(CAMERAS_EXPECTED_RECORD, `count(${CAMERA_INFO_RECORD}{${LOCAL}})`),
      // 0, not nothing, when every expected camera is down (both sides unlabelled, as the rule labels them after).
      record(CAMERAS_READY_RECORD, `count(${PATH_READY_RECORD}{${LOCAL}}) or 0 * count(${CAMERA_INFO_RECORD}{${LOCAL}})`),
      record(CAMERA_INBOUND_BYTES_RECORD, `sum(${PATH_INBOUND_BYTES_RECORD}{${LOCAL}})`),
    ],
  };
}

/**
 * Sites per group of silence alerts: each site's rule takes about 700 bytes of its rule file, and
 * a rule file must fit in a ConfigMap (1 MiB) beside others, so a fleet of more sites gets more
 * groups (`fleet-central`, `fleet-central-2`, ...).
 */
const SITES_PER_GROUP = 500;

/** The centre's alerts on the sites: one silence alert per expected site, and GPU headroom. */
export function centralRuleGroups(central: FleetCentralSettings): RuleGroup[] {
  const groups: RuleGroup[] = [];
  for (let first = 0; first < central.sites.length; first += SITES_PER_GROUP) {
    const sites = central.sites.slice(first, first + SITES_PER_GROUP);
    groups.push({
      name: first === 0 ? CENTRAL_RULES_GROUP : `${CENTRAL_RULES_GROUP}-${first / SITES_PER_GROUP + 1}`,
      alerts: [...sites.map((site) => siteNotReporting(site, central.silenceThreshold)), ...first === 0 ? [gpuHeadroomLow(central.gpuHeadroomThreshold)] : []],
    });
  }
  return groups;
}

/**
 * Any replica's `up` from the site proves the site, its Prometheus and its WAN link alive. The
 * window is the hold time: no `for`, so the alert fires once the site has been silent that long.
 */
function siteNotReporting(site: string, silence: Duration): AlertRule {
  const window = promDuration(silence);
  return {
    alert: 'FleetSiteNotReporting',
    expr: `absent_over_time(up{${matcher('site', site)}}[${window}])`,
    severity: AlertSeverity.CRITICAL,
    summary: 'Site {{ $labels.site }} has stopped reporting to the central Prometheus.',
    description: `No sample from site {{ $labels.site }} has reached the central Prometheus for ${window}: its WAN link, its Prometheus or its remote write is down, or its egress address is not among those admitted. The site still alerts on its own, but the fleet sees nothing of it.`,
    runbookUrl: runbookUrl('FleetSiteNotReporting'),
  };
}

/** Both replicas of a site record the same headroom: the larger must be low too, so one lagging replica raises nothing. */
function gpuHeadroomLow(threshold: number): AlertRule {
  const percent = `${Number((threshold * 100).toPrecision(6))}%`;
  return {
    alert: 'FleetSiteGpuHeadroomLow',
    expr: `max by (site) (${GPU_HEADROOM_RECORD}{site!=""}) < ${threshold}`,
    for: HEADROOM_LOW_FOR,
    severity: AlertSeverity.WARNING,
    summary: 'Site {{ $labels.site }} is running out of GPU headroom.',
    description: `Only {{ $value | humanizePercentage }} of the schedulable GPUs of site {{ $labels.site }} have been free for ${promDuration(HEADROOM_LOW_FOR)}, less than the ${percent} the fleet keeps: the next scale-up of an inference pool, or the loss of a GPU node, leaves GPU workers Pending and analysis behind the cameras. Add GPU nodes at the site, or move cameras or detections to another site.`,
    runbookUrl: runbookUrl('FleetSiteGpuHeadroomLow'),
  };
}
