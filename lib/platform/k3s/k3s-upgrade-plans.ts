import { Construct } from 'constructs';
import { Plan, PlanSpecWindowDays } from '../../../imports/upgrade.cattle.io';
import { propError } from '../../core/errors';
import { platformLabels } from '../../core/labels';
import { PlatformNamespace, PodSecurityLevel } from '../platform-namespace';
import { dns1123Label } from '../../core/names';
import { scopedImage, scopedPullSecrets } from '../../synth/pod/builder';

/** The K3s upgrade image; the system-upgrade-controller appends the plan's version as its tag. */
const UPGRADE_IMAGE = 'rancher/k3s-upgrade';

/** A day of the week, as the system-upgrade-controller spells it. */
export enum Weekday {
  MONDAY = 'mon',
  TUESDAY = 'tue',
  WEDNESDAY = 'wed',
  THURSDAY = 'thu',
  FRIDAY = 'fri',
  SATURDAY = 'sat',
  SUNDAY = 'sun',
}

/**
 * When the system-upgrade-controller may start upgrading nodes: it creates no upgrade Job outside
 * the window, but lets a started one finish. The controller checks the window with kured's
 * `timewindow` package (rancher/system-upgrade-controller pkg/upgrade/plan/plan.go and the Plan
 * types; `github.com/kubereboot/kured` v1.13.1 in its go.mod), which reads it like this:
 *
 * - `days` are the calendar days of the moment checked, in `timeZone`.
 * - An end after the start: open from the start to the end on each of the days.
 * - An end before the start is an overnight window (kured since kubereboot/kured#206): on each of
 *   the days it is open from 00:00 to the end and from the start to 24:00. So 22:00 to 02:00 on
 *   `[SATURDAY]` opens Saturday 00:00-02:00 and Saturday 22:00-24:00, not Sunday morning; to run
 *   from Saturday 22:00 to Sunday 02:00, list Saturday and Sunday (which also opens Saturday
 *   00:00-02:00 and Sunday 22:00-24:00).
 * - An end equal to the start would be open for one second a day: refused.
 */
export interface MaintenanceWindow {
  /** Days of the week, e.g. `[Weekday.SATURDAY, Weekday.SUNDAY]`. */
  readonly days: readonly Weekday[];
  /** Start, `HH:MM` in `timeZone`. */
  readonly startTime: string;
  /** End, `HH:MM` in `timeZone`: after the start, or before it for an overnight window; never equal to it. */
  readonly endTime: string;
  /**
   * IANA time zone.
   * @default 'UTC'
   */
  readonly timeZone?: string;
}

/** Props of {@link K3sUpgradePlans}. */
export interface K3sUpgradePlansProps {
  /** The K3s version to run, e.g. `v1.30.4+k3s1`; changing it starts the upgrade. Downgrades are refused by K3s. */
  readonly version: string;
  /**
   * When upgrades may start. Needs system-upgrade-controller v0.15.0 or later (rancher/system-upgrade-controller#335):
   * an older controller's Plan CRD drops the field, and upgrades then start at any time.
   * @default - any time
   */
  readonly window?: MaintenanceWindow;
  /**
   * Agents upgraded at once (servers always go one at a time, to keep etcd's quorum).
   * @default 1
   */
  readonly agentConcurrency?: number;
  /**
   * Namespace of the plans; the system-upgrade-controller watches it.
   * @default 'system-upgrade'
   */
  readonly namespace?: string;
}

const SERVER_PLAN = 'k3s-server';
const AGENT_PLAN = 'k3s-agent';
const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

/**
 * The usual pair of system-upgrade-controller Plans: servers first, one at a time and cordoned;
 * then agents, drained, only after the server plan has finished (`prepare`). Needs the
 * system-upgrade-controller installed (its release manifests) and its `system-upgrade` ServiceAccount.
 */
export class K3sUpgradePlans extends Construct {
  /** Namespace of the plans and of the upgrade Jobs, labelled privileged. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: K3sUpgradePlansProps) {
    super(scope, id);
    if (!/^v\d+\.\d+\.\d+\+k3s\d+$/.test(props.version)) {
      throw new Error(`K3sUpgradePlans '${id}': 'version' (${props.version}) must be a K3s release such as v1.30.4+k3s1. Pick one from the K3s releases.`);
    }
    const concurrency = props.agentConcurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(`K3sUpgradePlans '${id}': 'agentConcurrency' (${concurrency}) must be an integer >= 1. Upgrade at least one agent at a time.`);
    }
    if (props.window) validateWindow(id, props.window);
    const namespace = props.namespace ?? 'system-upgrade';
    this.namespace = namespace;
    // Checked here, or the error would name the inner PlatformNamespace instead of this prop.
    const namespaceProblem = dns1123Label(namespace);
    if (namespaceProblem) throw propError('K3sUpgradePlans', id, 'namespace', namespace, `a DNS-1123 label (${namespaceProblem})`, 'Use lowercase letters, digits and dashes.');
    // Upgrade jobs replace the k3s binary on the host: they need host access, hence privileged.
    new PlatformNamespace(this, 'namespace', { name: namespace, podSecurity: PodSecurityLevel.PRIVILEGED, defaultDeny: false });
    const window = props.window ? { days: props.window.days.map((day) => day as string as PlanSpecWindowDays), startTime: props.window.startTime, endTime: props.window.endTime, timeZone: props.window.timeZone ?? 'UTC' } : undefined;
    // The upgrade Jobs' images follow the scope's mirror and pull secrets like every pod's.
    const image = scopedImage(this, UPGRADE_IMAGE);
    const common = { serviceAccountName: 'system-upgrade', version: props.version, window, imagePullSecrets: scopedPullSecrets(this), upgrade: { image } };

    new Plan(this, 'server-plan', {
      metadata: { name: SERVER_PLAN, namespace, labels: platformLabels() },
      spec: {
        ...common,
        concurrency: 1,
        cordon: true,
        nodeSelector: { matchExpressions: [{ key: CONTROL_PLANE_LABEL, operator: 'In', values: ['true'] }] },
        tolerations: [{ operator: 'Exists' }],
      },
    });
    new Plan(this, 'agent-plan', {
      metadata: { name: AGENT_PLAN, namespace, labels: platformLabels() },
      spec: {
        ...common,
        concurrency,
        // Waits until the server plan has completed on every server.
        prepare: { image, args: ['prepare', SERVER_PLAN] },
        drain: { force: true, ignoreDaemonSets: true, deleteEmptydirData: true, skipWaitForDeleteTimeout: 60 },
        nodeSelector: { matchExpressions: [{ key: CONTROL_PLANE_LABEL, operator: 'DoesNotExist' }] },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
  }
}

function validateWindow(id: string, window: MaintenanceWindow): void {
  for (const prop of ['startTime', 'endTime'] as const) {
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(window[prop])) {
      throw propError('K3sUpgradePlans', id, `window.${prop}`, window[prop], 'HH:MM', "Write it like '02:00'.");
    }
  }
  // kured's window ends at the end minute's first second: equal times would open it for one second a day.
  if (window.startTime === window.endTime) {
    throw propError('K3sUpgradePlans', id, 'window.endTime', window.endTime, `different from window.startTime (${window.startTime})`,
      "The window would be open one second a day: give it a length, e.g. '02:00' to '05:00', or leave 'window' out to allow any time.");
  }
  // The Plan CRD requires at least one day: an empty list would be refused when applied.
  if (window.days.length === 0) {
    throw propError('K3sUpgradePlans', id, 'window.days', '[]', 'at least one day', 'Name the days upgrades may run, e.g. [Weekday.SATURDAY].');
  }
  const timeZone = window.timeZone ?? 'UTC';
  if (!isTimeZone(timeZone)) {
    throw propError('K3sUpgradePlans', id, 'window.timeZone', timeZone, 'an IANA time zone', "Write it like 'Europe/Berlin' or 'UTC'.");
  }
}

/**
 * Whether `Intl` knows the zone. A listed zone or UTC is known without building a date formatter,
 * the first of which costs more than the rest of building the upgrade plans (ICU loads its data);
 * aliases and other spellings ('US/Eastern', 'europe/berlin') still get the formatter's verdict.
 */
function isTimeZone(timeZone: string): boolean {
  if (timeZone === 'UTC' || listedTimeZones().has(timeZone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

let timeZones: ReadonlySet<string> | undefined;

function listedTimeZones(): ReadonlySet<string> {
  timeZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  return timeZones;
}
