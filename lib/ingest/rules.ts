import { Duration } from 'cdk8s';
import { AlertRule, AlertSeverity, RecordingRule, RuleGroup, runbookUrl } from '../monitoring/alert-rules';
import { CameraSpec } from '../cameras/camera-inventory';
import { ScrapeTarget } from '../monitoring/scrape-target';
import { packInOrder } from '../core/packing';
import { escapeRegex, matcher, promDuration, sanitizeLabelName } from '../monitoring/_format';
import { KUBE_STATE_METRICS_JOB } from '../monitoring/_platform-rules';
import { spreadOf } from '../core/spread';

/** One series per camera of an ingest (value 1), labelled `name` (the camera id) and the camera's labels. */
export const CAMERA_INFO_RECORD = 'job_name:ingest_camera:info';
/** 1 per camera that at least one MediaMTX replica has ready. */
export const PATH_READY_RECORD = 'job_name:paths_ready:max';
/** Bytes per second received from each camera. */
export const PATH_INBOUND_BYTES_RECORD = 'job_name:paths_inbound_bytes:rate5m';
/** Frames per second MediaMTX could not decode, per camera: the visible sign of packet loss on a pulled stream. */
export const PATH_FRAMES_IN_ERROR_RECORD = 'job_name:paths_inbound_frames_in_error:rate5m';

/** Options of {@link ingestRuleGroups}. */
export interface IngestRuleOptions {
  /**
   * The cameras the ingest pulls. With them, CameraStreamDown also fires for a camera that
   * MediaMTX never reported (a whole shard down) and carries the camera's labels, such as `site`.
   * @default - cameras are known only from what MediaMTX reported in the last hour
   */
  readonly cameras?: readonly CameraSpec[];
  /**
   * Regular expression matching the names of the ingest's Deployments (one per shard).
   * @default - `<jobName>-shard-[0-9]+`, StreamIngest's naming
   */
  readonly shardDeploymentPattern?: string;
  /**
   * How long a camera may be without a ready stream before CameraStreamDown fires. Long enough
   * to ride out a MediaMTX restart or a camera reconnect, short enough that a person can act.
   * @default Duration.minutes(2)
   */
  readonly streamDownFor?: Duration;
  /**
   * Damaged frames per second from one camera above which CameraPacketLoss fires.
   * @default 0.1 - one frame in ten seconds
   */
  readonly framesInErrorPerSecond?: number;
}

/**
 * The alert and recording rules of one stream ingest (MediaMTX shards scraped as `target`).
 *
 * MediaMTX reports every configured path in `paths{name, state}` with value 1 and state
 * `ready` or `notReady`; a camera is up when any replica has its path ready. Pulled cameras are
 * MediaMTX *sources*, not RTSP sessions, so `rtsp_sessions_inbound_rtp_packets_lost` (per
 * session, labelled `path`) never sees their losses: damaged frames surface in
 * `paths_inbound_frames_in_error` instead.
 */
export function ingestRuleGroups(target: ScrapeTarget, options: IngestRuleOptions = {}): RuleGroup[] {
  const job = matcher('job', target.jobName);
  const cameras = [...(options.cameras ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // The camera series are static, so the groups after the first need nothing from it.
  const [first, ...more] = packInOrder(cameras.map((camera) => cameraInfo(target, camera)), (rule) => JSON.stringify(rule).length, CAMERA_INFO_BYTES_PER_GROUP);
  return [{
    name: `${target.jobName}-streams`,
    recordings: [
      ...first ?? [],
      { record: PATH_READY_RECORD, expr: `max by (namespace, job, name) (paths{${job}, state="ready"})` },
      { record: PATH_INBOUND_BYTES_RECORD, expr: `max by (namespace, job, name) (rate(paths_inbound_bytes{${job}, name!=""}[5m]))` },
      { record: PATH_FRAMES_IN_ERROR_RECORD, expr: `max by (namespace, job, name) (rate(paths_inbound_frames_in_error{${job}, name!=""}[5m]))` },
    ],
    alerts: [
      cameraStreamDown(target, cameras.length > 0, options.streamDownFor ?? Duration.minutes(2)),
      cameraPacketLoss(target, options.framesInErrorPerSecond ?? 0.1),
      ...shardAlerts(target, options.shardDeploymentPattern ?? `${escapeRegex(target.jobName)}-shard-[0-9]+`),
    ],
  }, ...more.map((recordings, i) => ({ name: `${target.jobName}-streams-cameras-${i + 1}`, recordings }))];
}

/**
 * About how many bytes of camera series one rule group holds. Each group is one rule file, and
 * a rule file must fit in a ConfigMap (1 MiB) beside others; at 10,000 cameras the series take
 * about 1.9 MiB. A quarter of a ConfigMap packs well. Counted as JSON, within a few percent of
 * the YAML written.
 */
const CAMERA_INFO_BYTES_PER_GROUP = 256 * 1024;

const RESERVED_LABELS = new Set(['job', 'namespace', 'name', 'instance']);

/**
 * A static series per expected camera, so that a camera can be missed even when no MediaMTX
 * replica reports it any more, and so that alerts and dashboards know its site.
 */
function cameraInfo(target: ScrapeTarget, camera: CameraSpec): RecordingRule {
  const cameraLabels = Object.entries(camera.labels ?? {})
    .map(([key, value]) => [sanitizeLabelName(key), value] as const)
    .filter(([key]) => !RESERVED_LABELS.has(key) && !key.startsWith('__'));
  return {
    record: CAMERA_INFO_RECORD,
    expr: 'vector(1)',
    labels: spreadOf(Object.fromEntries(cameraLabels), { job: target.jobName, namespace: target.namespace, name: camera.id }),
  };
}

function cameraStreamDown(target: ScrapeTarget, camerasKnown: boolean, holdFor: Duration): AlertRule {
  const job = matcher('job', target.jobName);
  const ready = `paths{${job}, state="ready"}`;
  const expected = camerasKnown
    ? `${CAMERA_INFO_RECORD}{${job}}`
    : `max by (namespace, job, name) (max_over_time(paths{${job}, name!=""}[1h]))`;
  return {
    alert: 'CameraStreamDown',
    expr: `${expected} unless on (namespace, name) ${ready}`,
    for: holdFor,
    severity: AlertSeverity.CRITICAL,
    summary: 'Camera {{ $labels.name }} is not streaming.',
    description: `No MediaMTX replica of {{ $labels.job }} (namespace {{ $labels.namespace }}) has had a ready stream from camera {{ $labels.name }} for ${promDuration(holdFor)}: its video reaches neither analysis nor recording. Check the camera's power, network and credentials, then the logs of its shard.`,
    runbookUrl: runbookUrl('CameraStreamDown'),
  };
}

function cameraPacketLoss(target: ScrapeTarget, threshold: number): AlertRule {
  const job = matcher('job', target.jobName);
  return {
    alert: 'CameraPacketLoss',
    expr: `max by (namespace, job, name) (rate(paths_inbound_frames_in_error{${job}, name!=""}[5m])) > ${threshold}`,
    for: Duration.minutes(10),
    severity: AlertSeverity.WARNING,
    summary: 'Camera {{ $labels.name }} delivers damaged frames.',
    description: 'Camera {{ $labels.name }} ({{ $labels.job }}) has delivered {{ printf "%.2f" $value }} frames per second that MediaMTX could not decode for 10 minutes: packets are lost between camera and cluster, and detections on its video degrade. Check the network path and the camera\'s bitrate.',
    runbookUrl: runbookUrl('CameraPacketLoss'),
  };
}

function shardAlerts(target: ScrapeTarget, deploymentPattern: string): AlertRule[] {
  const selector = `job="${KUBE_STATE_METRICS_JOB}", ${matcher('namespace', target.namespace)}, ${matcher('deployment', deploymentPattern, '=~')}`;
  const available = `kube_deployment_status_replicas_available{${selector}}`;
  const desired = `kube_deployment_spec_replicas{${selector}}`;
  return [
    {
      alert: 'IngestShardNotReady',
      expr: `${available} == 0 and on (namespace, deployment) ${desired} > 0`,
      for: Duration.minutes(2),
      severity: AlertSeverity.CRITICAL,
      summary: 'Ingest shard {{ $labels.namespace }}/{{ $labels.deployment }} has no ready replica.',
      description: 'Shard {{ $labels.deployment }} has had no available MediaMTX replica for 2 minutes: every camera of the shard is lost. Check its pods\' events and logs.',
      runbookUrl: runbookUrl('IngestShardNotReady'),
    },
    {
      alert: 'IngestShardDegraded',
      expr: `${available} < on (namespace, deployment) ${desired}`,
      for: Duration.minutes(15),
      severity: AlertSeverity.WARNING,
      summary: 'Ingest shard {{ $labels.namespace }}/{{ $labels.deployment }} runs with fewer replicas than desired.',
      description: 'Shard {{ $labels.deployment }} has had only {{ $value }} available replicas for 15 minutes: its cameras survive no further pod or node loss.',
      runbookUrl: runbookUrl('IngestShardDegraded'),
    },
  ];
}
