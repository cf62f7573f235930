import { dns1123Subdomain } from '../../core/names';
import { isSecretName } from '../../core/url-secrets';

/** Scheduled snapshots of the servers' embedded etcd. */
export interface EtcdSnapshotOptions {
  /**
   * When each server takes a snapshot: a five-field cron expression (minute, hour, day of month,
   * month, day of week) in the server's local time, or `@hourly`, `@daily`, `@weekly`, `@monthly`.
   * @default '0 *\/6 * * *' - every six hours
   */
  readonly scheduleCron?: string;
  /**
   * Snapshots each server keeps (and, with `s3`, keeps of itself in the bucket).
   * @default 28 - one week at the default schedule
   */
  readonly retention?: number;
  /**
   * Compress snapshots (zip).
   * @default true
   */
  readonly compress?: boolean;
  /**
   * An off-site copy of every snapshot in an S3-compatible bucket, for when the site's disks are lost.
   * @default - snapshots only on the servers' disks
   */
  readonly s3?: EtcdS3Backup;
}

/** The bucket snapshots are copied to, with its keys in a file on each server. */
export interface EtcdS3Bucket {
  /** Host and port of the S3-compatible endpoint, without a scheme (K3s speaks HTTPS), e.g. `minio.site.internal:9000`. */
  readonly endpoint: string;
  /** The bucket, which must exist. */
  readonly bucket: string;
  /**
   * Folder (key prefix) inside the bucket, e.g. the site's name.
   * @default - the bucket's top level
   */
  readonly folder?: string;
  /**
   * Region of the bucket.
   * @default - K3s's default, 'us-east-1'
   */
  readonly region?: string;
  /**
   * The file on every server that holds `etcd-s3-access-key` and `etcd-s3-secret-key`, created by
   * hand with mode 0600: a drop-in K3s merges into its configuration, so it must be a `.yaml` file
   * in `/etc/rancher/k3s/config.yaml.d/`.
   * @default '/etc/rancher/k3s/config.yaml.d/etcd-s3-credentials.yaml'
   */
  readonly credentialsFile?: string;
}

/** Where K3s copies etcd snapshots off the site, and where it reads the keys from: never from Git. */
export class EtcdS3Backup {
  /**
   * K3s reads the whole S3 configuration (`etcd-s3-endpoint`, `etcd-s3-bucket`, `etcd-s3-folder`,
   * `etcd-s3-region`, `etcd-s3-access-key`, `etcd-s3-secret-key`) from a Secret in `kube-system`
   * created by hand, at every snapshot, so keys rotate without a restart. The config file holds only
   * `etcd-s3: true` and the Secret's name: K3s ignores the Secret as soon as any other `etcd-s3-*`
   * setting is configured (k3s-io/k3s pkg/etcd/s3/s3.go, `GetClient`). Needs K3s from the July 2024
   * releases on (v1.30.3+k3s1, k3s-io/k3s#10487). The Secret cannot be read during a restore (the
   * API server is down then): restore from a downloaded snapshot file (docs/operations.md).
   */
  public static fromSecret(secretName: string): EtcdS3Backup {
    return new EtcdS3Backup(secretName, undefined);
  }

  /** K3s copies snapshots to this bucket with the keys in `credentialsFile` on each server. */
  public static toBucket(bucket: EtcdS3Bucket): EtcdS3Backup {
    return new EtcdS3Backup(undefined, bucket);
  }

  private constructor(
    /** The Secret in `kube-system`, when K3s reads everything from one. */
    public readonly secretName: string | undefined,
    /** The bucket, when the config file names it. */
    public readonly bucket: EtcdS3Bucket | undefined,
  ) {}
}

export const DEFAULT_SNAPSHOT_CRON = '0 */6 * * *';
export const DEFAULT_SNAPSHOT_RETENTION = 28;
export const DEFAULT_S3_CREDENTIALS_FILE = '/etc/rancher/k3s/config.yaml.d/etcd-s3-credentials.yaml';
const CONFIG_DROP_IN_DIR = '/etc/rancher/k3s/config.yaml.d/';

/** The problem with a setting, if any: `[prop, value, rule, fix]`; the value is masked when it may be a key. */
export type SnapshotProblem = readonly [string, unknown, string, string];

/** The server settings for the snapshots. */
export function snapshotSettings(options: EtcdSnapshotOptions = {}): Record<string, unknown> {
  const s3 = options.s3;
  return {
    'etcd-snapshot-schedule-cron': options.scheduleCron ?? DEFAULT_SNAPSHOT_CRON,
    'etcd-snapshot-retention': options.retention ?? DEFAULT_SNAPSHOT_RETENTION,
    'etcd-snapshot-compress': options.compress ?? true,
    ...(s3 ? s3Settings(s3) : {}),
  };
}

function s3Settings(s3: EtcdS3Backup): Record<string, unknown> {
  if (s3.secretName !== undefined) return { 'etcd-s3': true, 'etcd-s3-config-secret': s3.secretName };
  const bucket = s3.bucket!;
  return {
    'etcd-s3': true,
    'etcd-s3-endpoint': bucket.endpoint,
    'etcd-s3-bucket': bucket.bucket,
    'etcd-s3-folder': bucket.folder,
    'etcd-s3-region': bucket.region,
  };
}

/** What the operator must create by hand for the S3 copy, as a line for the config file's header. */
export function s3Note(options: EtcdSnapshotOptions = {}): string | undefined {
  const s3 = options.s3;
  if (!s3) return undefined;
  if (s3.secretName !== undefined) {
    return `etcd snapshots go to S3 as configured in the Secret kube-system/${s3.secretName}: create it by hand (docs/operations.md), never in Git.`;
  }
  return `etcd snapshots go to S3 with the keys in ${s3.bucket!.credentialsFile ?? DEFAULT_S3_CREDENTIALS_FILE}: create it by hand, mode 0600, never in Git.`;
}

/** Every snapshot setting checked; the first problem, naming its prop. */
export function snapshotProblem(options: EtcdSnapshotOptions | undefined): SnapshotProblem | undefined {
  if (options === undefined) return undefined;
  const leaked = keyLikeProp('etcdSnapshots', options, ['scheduleCron', 'retention', 'compress', 's3']);
  if (leaked) return leaked;
  const cron = options.scheduleCron ?? DEFAULT_SNAPSHOT_CRON;
  const cronProblem = cronExpressionProblem(cron);
  if (cronProblem) return ['etcdSnapshots.scheduleCron', cron, `a cron expression (${cronProblem})`, "Write five fields, e.g. '0 */6 * * *' for every six hours."];
  const retention = options.retention ?? DEFAULT_SNAPSHOT_RETENTION;
  if (!Number.isInteger(retention) || retention < 1) {
    return ['etcdSnapshots.retention', retention, 'an integer >= 1', 'Keep at least one snapshot, e.g. 28 (a week of six-hourly snapshots).'];
  }
  return options.s3 === undefined ? undefined : s3Problem(options.s3);
}

function s3Problem(s3: EtcdS3Backup): SnapshotProblem | undefined {
  if (!(s3 instanceof EtcdS3Backup) || (s3.secretName === undefined) === (s3.bucket === undefined)) {
    return ['etcdSnapshots.s3', '***', 'made with EtcdS3Backup.fromSecret() or EtcdS3Backup.toBucket()', 'Keys never go into the config: name a Secret or a file on the servers.'];
  }
  if (s3.secretName !== undefined) {
    const prop = 'etcdSnapshots.s3.secretName';
    if (looksLikeKey(s3.secretName)) return inlineKey(prop);
    const problem = dns1123Subdomain(s3.secretName);
    return problem ? [prop, s3.secretName, `a Secret name (${problem})`, "Name the Secret in kube-system, e.g. 'etcd-s3-config'."] : undefined;
  }
  return bucketProblem(s3.bucket!);
}

function bucketProblem(bucket: EtcdS3Bucket): SnapshotProblem | undefined {
  const leaked = keyLikeProp('etcdSnapshots.s3', bucket, ['endpoint', 'bucket', 'folder', 'region', 'credentialsFile']);
  if (leaked) return leaked;
  const fields: [keyof EtcdS3Bucket, string | undefined][] = [
    ['endpoint', bucket.endpoint], ['bucket', bucket.bucket], ['folder', bucket.folder], ['region', bucket.region], ['credentialsFile', bucket.credentialsFile],
  ];
  for (const [name, value] of fields) {
    if (value !== undefined && looksLikeKey(value)) return inlineKey(`etcdSnapshots.s3.${name}`);
  }
  if (!isEndpoint(bucket.endpoint)) {
    return ['etcdSnapshots.s3.endpoint', bucket.endpoint, 'a host and optional port without a scheme', "K3s speaks HTTPS to it: write e.g. 'minio.site.internal:9000'."];
  }
  if (!isBucketName(bucket.bucket)) {
    return ['etcdSnapshots.s3.bucket', bucket.bucket, 'an S3 bucket name (3 to 63 lowercase letters, digits, dots and dashes)', "Write e.g. 'etcd-snapshots'."];
  }
  if (bucket.folder !== undefined && !/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(bucket.folder)) {
    return ['etcdSnapshots.s3.folder', bucket.folder, 'a key prefix without leading, trailing or double slashes', "Write e.g. 'site-a/etcd'."];
  }
  if (bucket.region !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(bucket.region)) {
    return ['etcdSnapshots.s3.region', bucket.region, 'a region name', "Write e.g. 'eu-central-1', or leave it out for 'us-east-1'."];
  }
  const file = bucket.credentialsFile ?? DEFAULT_S3_CREDENTIALS_FILE;
  if (!file.startsWith(CONFIG_DROP_IN_DIR) || !/^[A-Za-z0-9._-]+\.yaml$/.test(file.slice(CONFIG_DROP_IN_DIR.length))) {
    return ['etcdSnapshots.s3.credentialsFile', file, `a .yaml file in ${CONFIG_DROP_IN_DIR}`, 'K3s reads its configuration drop-ins only there.'];
  }
  return undefined;
}

/**
 * A prop that is not in the interface and whose name says it holds a key (`accessKey`,
 * `etcd-s3-secret-key`): JavaScript and JSON callers can pass anything.
 */
function keyLikeProp(at: string, value: object, known: readonly string[]): SnapshotProblem | undefined {
  const leaked = Object.keys(value).find((name) => !known.includes(name) && isSecretName(name));
  return leaked === undefined ? undefined : [`${at}.${leaked}`, '***', 'absent: keys never go into the config, which is in Git',
    'Use EtcdS3Backup.fromSecret() (a Secret created by hand) or the credentialsFile of EtcdS3Backup.toBucket().'];
}

function inlineKey(prop: string): SnapshotProblem {
  return [prop, '***', 'no access key or secret key', 'Keys never go into the config, which is in Git: put them in the Secret or in the credentialsFile on the servers.'];
}

/**
 * An AWS-style access key id (`AKIA…`, `ASIA…`), a secret key (a long run of mixed-case letters,
 * digits, `+` and `/`), or credentials written into an endpoint (`key:secret@host`).
 */
function looksLikeKey(value: string): boolean {
  if (/\b(AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b/.test(value) || value.includes('@')) return true;
  return (value.match(/[A-Za-z0-9+/=]{32,}/g) ?? []).some((run) => /[a-z]/.test(run) && /[A-Z]/.test(run) && /[0-9]/.test(run));
}

function isEndpoint(value: string): boolean {
  const match = /^([^:/]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return false;
  const port = match[2] === undefined ? 443 : Number(match[2]);
  return port >= 1 && port <= 65535 && (dns1123Subdomain(match[1]) === undefined || /^\d{1,3}(\.\d{1,3}){3}$/.test(match[1]));
}

function isBucketName(value: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) && !value.includes('..') && !/^\d{1,3}(\.\d{1,3}){3}$/.test(value);
}

const CRON_DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** The fields of a standard cron expression, as K3s's scheduler (robfig/cron) reads them. */
const CRON_FIELDS: readonly { name: string; min: number; max: number; names?: readonly string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: WEEKDAYS },
];

/** What is wrong with a cron expression, or undefined when K3s can schedule it. */
export function cronExpressionProblem(expression: string): string | undefined {
  if (CRON_DESCRIPTORS.has(expression)) return undefined;
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) return `it has ${fields.length} fields, not 5`;
  for (const [i, field] of fields.entries()) {
    const spec = CRON_FIELDS[i];
    for (const item of field.split(',')) {
      if (!isCronItem(item, spec.min, spec.max, spec.names)) return `the ${spec.name} field '${field}' is not a value, range or step within ${spec.min}-${spec.max}`;
    }
  }
  return undefined;
}

function isCronItem(item: string, min: number, max: number, names: readonly string[] | undefined): boolean {
  const match = /^(\*|\?|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
  if (!match) return false;
  if (match[2] !== undefined && Number(match[2]) < 1) return false;
  if (match[1] === '*' || match[1] === '?') return true;
  const bounds = match[1].split('-').map((part) => cronValue(part, min, names));
  return bounds.every((value) => value !== undefined && value >= min && value <= max) && (bounds.length === 1 || bounds[0]! <= bounds[1]!);
}

function cronValue(part: string, min: number, names: readonly string[] | undefined): number | undefined {
  if (/^\d+$/.test(part)) return Number(part);
  const index = names?.indexOf(part.toUpperCase()) ?? -1;
  return index < 0 ? undefined : index + min;
}
