import { Duration } from 'cdk8s';
import { propError } from '../core/errors';
import { dns1123Subdomain, secretDataKey } from '../core/names';
import { findUrlSecret, maskUrlSecrets } from '../core/url-secrets';

/** One key of a Kubernetes Secret, in the namespace of the workload that reads it. */
export interface SecretKey {
  /** Name of the Secret. */
  readonly secretName: string;
  /** Key in the Secret's data. */
  readonly key: string;
}

/** Options of {@link Receiver.webhook}. Give exactly one of `url` and `urlSecret`. */
export interface WebhookReceiverOptions {
  /**
   * Where Alertmanager POSTs its JSON payload: an http or https URL without credentials. It is
   * written into a ConfigMap, readable by anyone who can read the namespace's ConfigMaps, so a
   * URL with a user name or password, or with a query or path parameter named like a
   * credential (`password`, `pass`, `pwd`, `token`, `key`, `secret`, `auth`, `credential`, in
   * any case and within longer names such as `api_key`), is refused, and the message masks the
   * value. Use `urlSecret` instead whenever the URL itself is a credential, including a token
   * that is a bare path segment, which no name gives away (`https://hooks.example.com/T0/B0/XXXX`).
   * @default - none; `urlSecret` must be set
   * @see https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
   */
  readonly url?: string;
  /**
   * A Secret key holding the URL; mounted as a file and read through Alertmanager's `url_file`.
   * @default - none; `url` must be set
   */
  readonly urlSecret?: SecretKey;
  /**
   * The TCP port Alertmanager connects to, for its NetworkPolicy.
   * @default - the port of `url`; 443 with `urlSecret`
   */
  readonly port?: number;
  /**
   * A Secret key holding a bearer token sent in the `Authorization` header.
   * @default - no Authorization header
   */
  readonly bearerTokenSecret?: SecretKey;
  /**
   * Whether to notify when an alert resolves.
   * @default true
   */
  readonly sendResolved?: boolean;
}

/** Options of {@link Receiver.email}. */
export interface EmailReceiverOptions {
  /** Recipient address, or several separated by commas. */
  readonly to: string;
  /** Sender address. */
  readonly from: string;
  /** The SMTP relay as `host:port`, e.g. `smtp.example.com:587`. */
  readonly smarthost: string;
  /**
   * SMTP username.
   * @default - no SMTP authentication
   */
  readonly authUsername?: string;
  /**
   * A Secret key holding the SMTP password; mounted as a file and read through `auth_password_file`,
   * so the password never lands in a ConfigMap. Needs `authUsername`.
   * @default - no SMTP authentication
   */
  readonly authPasswordSecret?: SecretKey;
  /**
   * Whether the relay must offer STARTTLS.
   * @default true
   */
  readonly requireTls?: boolean;
  /**
   * Whether to notify when an alert resolves.
   * @default true
   */
  readonly sendResolved?: boolean;
}

/**
 * Where Alertmanager sends notifications. Build one with {@link Receiver.webhook} or
 * {@link Receiver.email}; a receiver without its required fields is refused at once.
 */
export class Receiver {
  /**
   * A receiver that POSTs alerts to an HTTP endpoint (a chat bridge, an incident tool, a relay).
   * @param name receiver name, referenced by routes
   */
  public static webhook(name: string, options: WebhookReceiverOptions): Receiver {
    checkName(name);
    checkWebhook(name, options);
    return new Receiver(name, { ...options }, undefined);
  }

  /**
   * A receiver that emails alerts through an SMTP relay.
   * @param name receiver name, referenced by routes
   */
  public static email(name: string, options: EmailReceiverOptions): Receiver {
    checkName(name);
    checkEmail(name, options);
    return new Receiver(name, undefined, { ...options });
  }

  private constructor(
    /** Receiver name, referenced by routes. */
    public readonly name: string,
    /** The webhook settings, for a webhook receiver. */
    public readonly webhookOptions: WebhookReceiverOptions | undefined,
    /** The email settings, for an email receiver. */
    public readonly emailOptions: EmailReceiverOptions | undefined,
  ) {}

  /** The TCP port Alertmanager dials to notify this receiver. */
  public get port(): number {
    if (this.emailOptions) return Number(this.emailOptions.smarthost.split(':')[1]);
    const options = this.webhookOptions!;
    if (options.port !== undefined) return options.port;
    if (options.url === undefined) return 443;
    const url = new URL(options.url);
    return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  }

  /** The Secret keys this receiver reads, which Alertmanager must have mounted. */
  public get secretKeys(): readonly SecretKey[] {
    const keys = [this.webhookOptions?.urlSecret, this.webhookOptions?.bearerTokenSecret, this.emailOptions?.authPasswordSecret];
    return keys.filter((key): key is SecretKey => key !== undefined);
  }
}

/** Sends the alerts whose labels match to one receiver. */
export interface AlertRoute {
  /** Name of the receiver, one of the bundle's `receivers`. */
  readonly receiver: string;
  /** Labels an alert must carry, with these exact values, e.g. `{ severity: 'critical' }`. At least one. */
  readonly matchers: { readonly [label: string]: string };
  /**
   * Whether matching alerts also go on to the routes after this one.
   * @default false
   */
  readonly continue?: boolean;
  /**
   * How often a still-firing alert is sent again.
   * @default Duration.hours(4)
   */
  readonly repeatInterval?: Duration;
}

/** Alertmanager's own catch-all that notifies nobody; the bundle adds it for `severity: none` alerts. */
export const NULL_RECEIVER = 'null';

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(name) || name === NULL_RECEIVER) {
    throw propError('Receiver', name, 'name', name, `letters, digits, '-', '_' and '.', and not '${NULL_RECEIVER}'`, "Name it after who it reaches, e.g. 'oncall'.");
  }
}

function checkWebhook(name: string, options: WebhookReceiverOptions): void {
  if ((options.url === undefined) === (options.urlSecret === undefined)) {
    const shown = options.url === undefined ? undefined : maskUrlSecrets(options.url);
    throw propError('Receiver', name, 'url', shown, "given exactly once: either 'url' or 'urlSecret'",
      "Set 'url' to the endpoint, or 'urlSecret' when the URL holds a token.");
  }
  if (options.url !== undefined) checkUrl(name, options.url);
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 1 && options.port <= 65535)) {
    throw propError('Receiver', name, 'port', options.port, 'an integer from 1 to 65535', 'Give the port of the webhook endpoint.');
  }
  if (options.urlSecret) checkSecretKey(name, 'urlSecret', options.urlSecret);
  if (options.bearerTokenSecret) checkSecretKey(name, 'bearerTokenSecret', options.bearerTokenSecret);
}

function checkUrl(name: string, url: string): void {
  // Credentials first: whatever else is wrong with the URL, it must not be written into a ConfigMap.
  const secret = findUrlSecret(url);
  if (secret) {
    throw propError('Receiver', name, 'url', secret.masked,
      'free of credentials: no user name or password, and no query or path parameter named like password, pass, pwd, token, key, secret, auth or credential',
      "The URL is written into a ConfigMap: put it in a Secret and give it as 'urlSecret' (read from a mounted file), "
      + "or send a token in the Authorization header with 'bearerTokenSecret'.");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw propError('Receiver', name, 'url', url, 'a valid http or https URL', "Write it like 'https://alerts.example.com/hook'.");
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw propError('Receiver', name, 'url', url, 'an http or https URL', "Write it like 'https://alerts.example.com/hook'.");
  }
}

function checkEmail(name: string, options: EmailReceiverOptions): void {
  const address = /^[^\s@,]+@[^\s@,]+$/;
  const recipients = (options.to ?? '').split(',').map((to) => to.trim());
  if (recipients.some((to) => !address.test(to))) {
    throw propError('Receiver', name, 'to', options.to, 'one or more email addresses separated by commas', "Set 'to' to the on-call address, e.g. 'oncall@example.com'.");
  }
  if (!address.test(options.from ?? '')) {
    throw propError('Receiver', name, 'from', options.from, 'an email address', "Set 'from' to the address alerts are sent as.");
  }
  const smtpPort = Number((options.smarthost ?? '').split(':')[1]);
  if (!/^[^\s:/]+:\d{1,5}$/.test(options.smarthost ?? '') || smtpPort < 1 || smtpPort > 65535) {
    throw propError('Receiver', name, 'smarthost', options.smarthost, "a host and port such as 'smtp.example.com:587'", "Set 'smarthost' to your mail relay.");
  }
  if (options.authPasswordSecret && !options.authUsername) {
    throw propError('Receiver', name, 'authUsername', options.authUsername, "set when 'authPasswordSecret' is", "Add the SMTP username.");
  }
  if (options.authPasswordSecret) checkSecretKey(name, 'authPasswordSecret', options.authPasswordSecret);
}

function checkSecretKey(name: string, prop: string, secret: SecretKey): void {
  const nameProblem = dns1123Subdomain(secret.secretName ?? '');
  if (nameProblem) {
    throw propError('Receiver', name, `${prop}.secretName`, secret.secretName, `a Secret name (${nameProblem})`, 'Use the name of a Secret in the monitoring namespace.');
  }
  const keyProblem = secretDataKey(secret.key ?? '');
  if (keyProblem) {
    throw propError('Receiver', name, `${prop}.key`, secret.key, `a Secret data key (${keyProblem})`, 'Use the key under which the Secret stores the value.');
  }
}
