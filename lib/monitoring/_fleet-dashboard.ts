import {
  CAMERAS_EXPECTED_RECORD, CAMERAS_READY_RECORD, CAMERA_INBOUND_BYTES_RECORD, GPU_ALLOCATABLE_RECORD, GPU_HEADROOM_RECORD, GPU_REQUESTED_RECORD,
} from './_fleet-rules';
import { DATASOURCE, PanelSpec, dashboardJson } from './_dashboard';

/** The fleet dashboard's uid: stable, so links to it keep working across releases. */
export const FLEET_DASHBOARD_UID = 'video-analytics-fleet';
export const FLEET_DASHBOARD_FILE = 'video-analytics-fleet.json';

/**
 * The sites picked in the `site` variable; never the centre's own unlabelled series, which the
 * "All" value's `.*` would match too.
 */
const SITES = 'site=~"$site", site!=""';

/** A site's series once per site: its two replicas send the same values. */
function perSite(series: string): string {
  return `max by (site) (${series}{${SITES}})`;
}

/** Alerts firing at the sites, as they remote-write them; Watchdog always fires and says nothing here. */
const FIRING = `max without (replica) (ALERTS{${SITES}, alertstate="firing", alertname!="Watchdog"})`;
/** One `up` per target of a site, whichever replica scraped it. */
const TARGETS = `max without (replica) (up{${SITES}})`;

const PANELS: readonly PanelSpec[] = [
  {
    title: 'Seconds since each site last reported',
    type: 'stat',
    unit: 's',
    description: 'Age of the newest sample from each site. A site silent for longer than the silence threshold raises FleetSiteNotReporting; one silent for five minutes disappears from this panel.',
    targets: [{ expr: `time() - max by (site) (timestamp(up{${SITES}}))`, legend: '{{site}}' }],
  },
  {
    title: 'Targets up per site',
    type: 'stat',
    unit: 'percentunit',
    description: "Share of each site's scrape targets that its Prometheus reaches.",
    targets: [{ expr: `sum by (site) (${TARGETS}) / count by (site) (${TARGETS})`, legend: '{{site}}' }],
  },
  {
    title: 'Alerts firing per site',
    type: 'stat',
    unit: 'none',
    description: 'Alerts each site fires now, all severities but the Watchdog. Each site pages on its own; this is the view across them.',
    targets: [{ expr: `count by (site) (${FIRING})`, legend: '{{site}}' }],
  },
  {
    title: 'Firing alerts',
    type: 'table',
    unit: 'none',
    description: 'Every alert firing at the selected sites, with its labels.',
    targets: [{ expr: FIRING, legend: '{{site}} {{alertname}}' }],
  },
  {
    title: 'GPU headroom per site',
    type: 'timeseries',
    unit: 'percentunit',
    description: 'Share of each site\'s schedulable GPUs (GPU slots, with time-slicing) that no running or pending pod requests. Below the fleet\'s threshold for 15 minutes, FleetSiteGpuHeadroomLow fires; below zero, pods wait for GPUs.',
    targets: [{ expr: perSite(GPU_HEADROOM_RECORD), legend: '{{site}}' }],
  },
  {
    title: 'GPUs requested and schedulable per site',
    type: 'timeseries',
    unit: 'none',
    description: 'GPUs (slots) that running and pending pods request, against those the Ready GPU nodes advertise.',
    targets: [
      { expr: perSite(GPU_REQUESTED_RECORD), legend: '{{site}} requested' },
      { expr: perSite(GPU_ALLOCATABLE_RECORD), legend: '{{site}} schedulable' },
    ],
  },
  {
    title: 'Cameras ready per site',
    type: 'stat',
    unit: 'none',
    description: 'Cameras with a ready stream, and the cameras each site\'s ingests expect.',
    targets: [
      { expr: perSite(CAMERAS_READY_RECORD), legend: '{{site}} ready' },
      { expr: perSite(CAMERAS_EXPECTED_RECORD), legend: '{{site}} expected' },
    ],
  },
  {
    title: 'Ingest bitrate per site',
    type: 'timeseries',
    unit: 'bps',
    description: 'Bits per second each site receives from its cameras.',
    targets: [{ expr: `8 * ${perSite(CAMERA_INBOUND_BYTES_RECORD)}`, legend: '{{site}}' }],
  },
];

/** The sites that report: every value of `site` on `up`. */
const SITE_VARIABLE = {
  name: 'site',
  label: 'Site',
  type: 'query',
  datasource: DATASOURCE,
  query: 'label_values(up, site)',
  definition: 'label_values(up, site)',
  refresh: 2,
  sort: 1,
  multi: true,
  includeAll: true,
  allValue: '.*',
  current: {},
  hide: 0,
};

/** The fleet dashboard of a central Prometheus, as Grafana JSON: every site, or those picked in `site`. */
export function fleetDashboard(): string {
  return dashboardJson({ uid: FLEET_DASHBOARD_UID, title: 'Video analytics fleet', variables: [SITE_VARIABLE], panels: PANELS });
}
