/**
 * Credentials written into a URL: user info, or query, path and fragment parameters whose names
 * say they hold a secret. A URL in a prop lands in a ConfigMap and in Git, so the library refuses
 * such URLs and shows them only with every secret masked. One implementation for every URL the
 * library takes (camera streams, alert webhooks).
 */

/**
 * Names of parameters that carry a credential, anywhere in the name and in any case: `password`,
 * `pass`, `passwd`, `pwd`, `token`, `access_token`, `key`, `api_key`, `apiKey`, `secret`,
 * `client_secret`, `auth`, `credential`. Broad on purpose: a harmless name caught by it
 * (`author`, `keyframe`) costs moving the URL to a Secret; a credential missed ends up in Git.
 */
const CREDENTIAL_NAME = /password|pass|pwd|token|key|secret|auth|credential/i;

/** What a URL gives away: where, and the URL as an error message may show it. */
export interface UrlSecret {
  /** `user info`, and the names of the parameters that hold secrets, quoted. */
  readonly where: string;
  /** The URL with every secret replaced by `***` (or only its scheme and host, if masking cannot be trusted). */
  readonly masked: string;
}

/** Whether a parameter name, as written or percent-decoded, reads like a credential. */
export function isSecretName(name: string): boolean {
  return CREDENTIAL_NAME.test(name) || CREDENTIAL_NAME.test(decoded(name));
}

/** The URL with user info and the values of credential-named parameters masked; nothing else changes. */
export function maskUrlSecrets(url: string): string {
  return maskText(url).text;
}

/** What a URL gives away, or undefined when it carries no credentials. */
export function findUrlSecret(url: string): UrlSecret | undefined {
  const masked = maskText(url);
  const parsed = parseUrl(url);
  const parsedSecrets = parsed ? secretsSeenByParser(parsed) : [];
  if (!masked.userInfo && masked.names.length === 0 && parsedSecrets.length === 0) return undefined;
  // Cross-checked with the parser: if the masked text still holds a secret the parser sees, show only the host.
  const leaks = parsedSecrets.some((secret) => masked.text.includes(secret) || decoded(masked.text).includes(secret));
  const where = [...(masked.userInfo || (parsed && (parsed.username || parsed.password)) ? ['user info'] : []), ...masked.names.map((n) => `'${n}'`)];
  return {
    where: where.length > 0 ? where.join(', ') : 'a parameter',
    masked: leaks ? `${parsed!.protocol}//${parsed!.host}/... (the rest not shown: it holds credentials)` : masked.text,
  };
}

interface MaskedText {
  readonly text: string;
  readonly userInfo: boolean;
  readonly names: readonly string[];
}

/**
 * Works on the text as given, valid URL or not, so that nothing of a secret survives a parser's
 * normalization. User info is everything from the scheme to the last '@' (a password may hold '/',
 * '?' or '#'). A credential's value is masked to the end of its part: in the query or fragment
 * the next '&'; in the path the next '/', which also covers camera paths such as
 * `/user=admin_password=xyz_channel=1`, where a value's end cannot be told from the next name.
 */
function maskText(url: string): MaskedText {
  const schemeEnd = url.indexOf('://');
  const authorityStart = schemeEnd === -1 ? 0 : schemeEnd + 3;
  const at = url.lastIndexOf('@');
  const userInfo = at >= authorityStart;
  const rest = userInfo ? url.slice(at + 1) : url.slice(authorityStart);
  const [beforeFragment, fragment] = splitAt(rest, '#');
  const [beforeQuery, query] = splitAt(beforeFragment, '?');
  const names: string[] = [];
  const path = maskParts(beforeQuery, '/', /(?:^|[;&_])([^=;&/]*?)=/g, names);
  const maskedQuery = query === undefined ? '' : `?${maskParts(query, '&', /(?:^|;)([^=;&]*?)=/g, names)}`;
  const maskedFragment = fragment === undefined ? '' : `#${maskParts(fragment, '&', /(?:^|;)([^=;&]*?)=/g, names)}`;
  const head = `${url.slice(0, authorityStart)}${userInfo ? '***@' : ''}`;
  return { text: `${head}${path}${maskedQuery}${maskedFragment}`, userInfo, names };
}

/** Masks, in each part, from the first credential-named parameter with a value to the end of the part. */
function maskParts(text: string, separator: string, parameter: RegExp, names: string[]): string {
  return text.split(separator).map((part) => {
    for (const match of part.matchAll(parameter)) {
      const valueStart = match.index! + match[0].length;
      // An empty value holds no secret: `?token=` is a placeholder, not a credential.
      if (!isSecretName(match[1]) || part.length === valueStart) continue;
      names.push(match[1]);
      return `${part.slice(0, valueStart)}***`;
    }
    return part;
  }).join(separator);
}

/** The secrets the URL parser itself sees (user info, query values named like credentials). */
function secretsSeenByParser(url: URL): string[] {
  const values = [...url.searchParams].filter(([name]) => isSecretName(name)).map(([, value]) => value);
  return [url.username, url.password, ...values].filter((secret) => secret !== '');
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** The text before the first `separator`, and the text after it if there is one. */
function splitAt(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

/** Text with its percent-escapes (and `+` for a space) decoded; as written if an escape is malformed. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
