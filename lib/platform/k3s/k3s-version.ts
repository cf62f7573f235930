/** A K3s release, e.g. `v1.30.4+k3s1`. */
export interface K3sRelease {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** The spelling K3s releases (and the system-upgrade-controller's `version`) use. */
export const K3S_RELEASE = /^v(\d+)\.(\d+)\.(\d+)\+k3s\d+$/;

/** The release a version names, or undefined when it names none. */
export function parseK3sRelease(version: string): K3sRelease | undefined {
  const match = K3S_RELEASE.exec(version);
  return match ? { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) } : undefined;
}

/**
 * The first patch of each minor release that has the embedded registry mirror (experimental):
 * v1.26.13, v1.27.10, v1.28.6, v1.29.1; every release from v1.30 has it. It is GA from v1.29.12,
 * v1.30.8 and v1.31.4 (docs.k3s.io, installation/registry-mirror).
 */
const EMBEDDED_REGISTRY_FIRST_PATCH: Readonly<Record<number, number>> = { 26: 13, 27: 10, 28: 6, 29: 1 };

/** Whether a release has the embedded registry mirror (`embedded-registry`). */
export function hasEmbeddedRegistry(release: K3sRelease): boolean {
  if (release.major !== 1) return release.major > 1;
  if (release.minor >= 30) return true;
  const firstPatch = EMBEDDED_REGISTRY_FIRST_PATCH[release.minor];
  return firstPatch !== undefined && release.patch >= firstPatch;
}

/** Whether a release reads `pod-security.admission.config.k8s.io/v1` (Kubernetes 1.25 and later). */
export function hasPodSecurityConfigV1(release: K3sRelease): boolean {
  return release.major > 1 || release.minor >= 25;
}
