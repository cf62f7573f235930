/**
 * Credentials written into a URL: user info, or query and path parameters whose names say they
 * hold a secret. A URL in a prop lands in a ConfigMap and in Git, so the library refuses them and
 * shows the URL only with every such value masked.
 */

/** Words that make a parameter name look like it carries a secret, as whole words or word endings (`apiKey`, `access_token`). */
const SECRET_WORDS = ['password', 'passwd', 'pass', 'pwd', 'token', 'key', 'secret', 'auth', 'credential', 'credentials'];

/** What a URL gives away, if anything: where, and the URL with the secrets masked. */
export interface UrlSecret {
  /** `user info`, or the names of the parameters that hold secrets. */
  readonly where: string;
  /** The URL with every secret replaced by `***`. */
  readonly masked: string;
}

/** Whether a parameter name reads like a secret, in any case and spelling (`Password`, `api_key`, `accessToken`, `X-Auth`). */
export function isSecretName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
  return words.some((word) => SECRET_WORDS.some((secret) => word === secret || word.endsWith(secret)));
}

/** The URL with user info and secret-looking parameter values masked; nothing else changes. */
export function maskUrlSecrets(url: string): string {
  return maskParameters(maskUserInfo(url)).url;
}

/** What a URL gives away, or undefined when it carries no credentials. */
export function findUrlSecret(url: string): UrlSecret | undefined {
  const withoutUserInfo = maskUserInfo(url);
  const { url: masked, names } = maskParameters(withoutUserInfo);
  if (masked === url) return undefined;
  const where = [...(withoutUserInfo !== url ? ['user info'] : []), ...names.map((name) => `'${name}'`)].join(', ');
  return { where, masked };
}

/** Everything from the scheme to the last '@': a password may hold '/', '?' or '#', so masking more is the safe side. */
function maskUserInfo(url: string): string {
  const schemeEnd = url.indexOf('://');
  const authorityStart = schemeEnd === -1 ? 0 : schemeEnd + 3;
  const at = url.lastIndexOf('@');
  return at >= authorityStart ? `${url.slice(0, authorityStart)}***@${url.slice(at + 1)}` : url;
}

/**
 * Masks, in every query and path segment, the value of a secret-looking parameter to the end of
 * its segment: `password=xyz` as well as camera paths such as `user=admin_password=xyz_channel=1`,
 * where the value's end cannot be told from the next parameter (masking more is the safe side).
 */
function maskParameters(url: string): { url: string; names: string[] } {
  const names: string[] = [];
  const masked = url.replace(/[^?&;/#]+/g, (segment) => {
    // A parameter starts the segment or follows '_'; its name may itself hold '_' (api_key).
    for (const match of segment.matchAll(/(?:^|_)([A-Za-z][A-Za-z0-9_.-]*?)=/g)) {
      const name = match[1];
      if (!isSecretName(name)) continue;
      names.push(name);
      const valueStart = match.index! + match[0].length;
      return `${segment.slice(0, valueStart)}***`;
    }
    return segment;
  });
  return { url: masked, names };
}

