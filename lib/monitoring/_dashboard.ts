import { CAMERA_INFO_RECORD } from '../ingest/rules';

/** The dashboard's uid: stable, so links to it keep working across releases. */
export const DASHBOARD_UID = 'video-analytics-platform';
export const DASHBOARD_FILE = 'video-analytics.json';

/** One panel: its queries, and how Grafana shows them. */
export interface PanelSpec {
  readonly title: string;
  readonly type: 'timeseries' | 'stat' | 'table';
  readonly unit: string;
  readonly targets: ReadonlyArray<{ readonly expr: string; readonly legend: string }>;
  readonly description: string;
}

/** Whether a camera is up: any MediaMTX replica has its path ready. */
const CAMERA_READY = 'max by (namespace, job, name) (paths{state="ready"})';

/** Rows of three panels: what an operator checks first is at the top. */
const PANELS: readonly PanelSpec[] = [
  {
    title: 'Camera streams ready per site',
    type: 'stat',
    unit: 'none',
    description: 'Cameras with a ready stream, out of the cameras each ingest expects (from its rules).',
    targets: [
      { expr: `count by (site) (${CAMERA_INFO_RECORD} and on (namespace, name) ${CAMERA_READY})`, legend: '{{site}} ready' },
      { expr: `count by (site) (${CAMERA_INFO_RECORD})`, legend: '{{site}} expected' },
    ],
  },
  {
    title: 'Cameras without a ready stream',
    type: 'table',
    unit: 'none',
    description: 'Each row is a camera that is expected but not streaming: the CameraStreamDown alert fires after 2 minutes.',
    targets: [{ expr: `${CAMERA_INFO_RECORD} unless on (namespace, name) ${CAMERA_READY}`, legend: '{{site}} {{name}}' }],
  },
  {
    title: 'Ingest bitrate per site',
    type: 'timeseries',
    unit: 'bps',
    description: 'Bits per second received from the cameras, counted once per camera however many replicas pull it.',
    targets: [{
      expr: `sum by (site) (8 * max by (namespace, name) (rate(paths_inbound_bytes{name!=""}[5m])) * on (namespace, name) group_left (site) ${CAMERA_INFO_RECORD})`,
      legend: '{{site}}',
    }],
  },
  {
    title: 'Ingest frames in error',
    type: 'timeseries',
    unit: 'fps',
    description: 'Frames per second MediaMTX could not decode, for the ten worst cameras: packet loss between camera and cluster.',
    targets: [{ expr: 'topk(10, max by (name) (rate(paths_inbound_frames_in_error{name!=""}[5m])))', legend: '{{name}}' }],
  },
  {
    title: 'Analysis throughput',
    type: 'timeseries',
    unit: 'ops',
    description: 'Inferences per second, per model and inference pool.',
    targets: [{ expr: 'sum by (job, model) (rate(nv_inference_count[5m]))', legend: '{{job}} {{model}}' }],
  },
  {
    title: 'Analysis latency',
    type: 'timeseries',
    unit: 'ms',
    description: 'Average time a request spends in the inference server, and the part of it spent queued.',
    targets: [
      { expr: 'sum by (job, model) (rate(nv_inference_request_duration_us[5m])) / sum by (job, model) (rate(nv_inference_request_success[5m])) / 1000', legend: '{{job}} {{model}} total' },
      { expr: 'sum by (job, model) (rate(nv_inference_queue_duration_us[5m])) / sum by (job, model) (rate(nv_inference_request_success[5m])) / 1000', legend: '{{job}} {{model}} queued' },
    ],
  },
  {
    title: 'GPU utilization',
    type: 'timeseries',
    unit: 'percent',
    description: 'Busy time of each GPU, from dcgm-exporter.',
    targets: [{ expr: 'avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)', legend: '{{Hostname}} GPU {{gpu}}' }],
  },
  {
    title: 'GPU memory used',
    type: 'timeseries',
    unit: 'percentunit',
    description: 'Frame buffer in use on each GPU, from dcgm-exporter.',
    targets: [{ expr: 'avg by (Hostname, gpu) (DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE))', legend: '{{Hostname}} GPU {{gpu}}' }],
  },
  {
    title: 'Container restarts (last hour)',
    type: 'table',
    unit: 'none',
    description: 'Containers that restarted in the last hour, from kube-state-metrics.',
    targets: [{ expr: 'sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total[1h])) > 0', legend: '{{namespace}}/{{pod}} {{container}}' }],
  },
];

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const PANEL_WIDTH = 8;
const PANEL_HEIGHT = 8;

/** A panel in the grid, three to a row. */
export function panel(spec: PanelSpec, index: number): Record<string, unknown> {
  const table = spec.type === 'table';
  return {
    id: index + 1,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: { x: (index % 3) * PANEL_WIDTH, y: Math.floor(index / 3) * PANEL_HEIGHT, w: PANEL_WIDTH, h: PANEL_HEIGHT },
    fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
    options: {},
    targets: spec.targets.map((target, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: target.expr,
      legendFormat: target.legend,
      instant: table ? true : undefined,
      format: table ? 'table' : undefined,
    })),
  };
}

/** What tells one dashboard from another. */
export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  /** Template variables after `datasource`. */
  readonly variables?: ReadonlyArray<Record<string, unknown>>;
  readonly panels: readonly PanelSpec[];
}

/**
 * A dashboard as Grafana JSON. Queries name no datasource: a `datasource` variable picks the
 * Prometheus, so the same JSON works with the bundle's Grafana and with an operator-managed one.
 */
export function dashboardJson(spec: DashboardSpec): string {
  const dashboard = {
    uid: spec.uid,
    title: spec.title,
    tags: ['video-analytics'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    timezone: 'browser',
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }, ...spec.variables ?? []],
    },
    annotations: { list: [] },
    panels: spec.panels.map(panel),
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** The platform dashboard as Grafana JSON. */
export function platformDashboard(): string {
  return dashboardJson({ uid: DASHBOARD_UID, title: 'Video analytics platform', panels: PANELS });
}
