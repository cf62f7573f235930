import { propError } from '../../core/errors';

/** A Helm chart version pinned exactly: a range would upgrade the platform under a synced Git tree. */
export function requirePinnedChartVersion(construct: string, id: string, version: string, example: string): string {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw propError(construct, id, 'version', version, `an exact chart version such as ${example}`, 'Pin the version; ranges upgrade silently.');
  }
  return version;
}
