import { CameraSpec } from '../../cameras/camera-inventory';
import { propError } from '../../core/errors';

/** The camera label that names a camera's site in a fleet's inventory, and the external label of every site's series. */
export const FLEET_SITE_LABEL = 'site';

/** A site's name and its own cameras, as the fleet's props declare them. */
export interface SiteCameras {
  readonly name: string;
  /** Position of the site in the fleet's `sites`, for error messages. */
  readonly index: number;
  readonly cameras?: readonly CameraSpec[];
}

interface Placement {
  readonly site: string;
  /** Where the camera was written, e.g. `cameras[3]` or `sites[1].cameras[0]`. */
  readonly where: string;
}

/**
 * Each site's cameras: the rows of the fleet's inventory whose `site` label names it, then the
 * site's own cameras. Refuses a camera of no site or of an undeclared one, a camera whose `site`
 * label names another site than the one that lists it, a camera id listed twice anywhere in the
 * fleet, and a site left without cameras.
 */
export function assignCameras(fleet: string, inventory: readonly CameraSpec[] | undefined, sites: readonly SiteCameras[]): Map<string, CameraSpec[]> {
  const bySite = new Map(sites.map((site): [string, CameraSpec[]] => [site.name, []]));
  const placed = new Map<string, Placement>();
  const place = (camera: CameraSpec, at: Placement): void => {
    refuseSecondPlacement(fleet, camera, at, placed.get(camera.id));
    placed.set(camera.id, at);
    bySite.get(at.site)!.push(camera);
  };
  (inventory ?? []).forEach((camera, i) => place(camera, { site: inventorySite(fleet, camera, i, [...bySite.keys()]), where: `cameras[${i}]` }));
  for (const site of sites) {
    (site.cameras ?? []).forEach((camera, i) => {
      const where = `sites[${site.index}].cameras[${i}]`;
      refuseOtherSiteLabel(fleet, camera, where, site.name);
      place(camera, { site: site.name, where });
    });
  }
  for (const site of sites) {
    if (bySite.get(site.name)!.length > 0) continue;
    throw propError('VideoAnalyticsFleet', fleet, `sites[${site.index}].cameras`, '[]', `at least one camera for site '${site.name}': no row of the fleet's cameras names it, and it lists none of its own`,
      `Add cameras with ${FLEET_SITE_LABEL} '${site.name}' to the fleet's cameras, or give the site its own 'cameras'.`);
  }
  return bySite;
}

/** The site a row of the fleet's inventory names, which must be one of the fleet's. */
function inventorySite(fleet: string, camera: CameraSpec, index: number, sites: readonly string[]): string {
  const site = camera.labels?.[FLEET_SITE_LABEL];
  if (site === undefined) {
    throw propError('VideoAnalyticsFleet', fleet, `cameras[${index}]`, camera.id, `a camera with a '${FLEET_SITE_LABEL}' label naming one of the fleet's sites (${sites.join(', ')})`,
      `Fill in its ${FLEET_SITE_LABEL} column, or list the camera in its site's own 'cameras'.`);
  }
  if (!sites.includes(site)) {
    throw propError('VideoAnalyticsFleet', fleet, `cameras[${index}].labels.${FLEET_SITE_LABEL}`, site, `one of the fleet's sites (${sites.join(', ')})`,
      `Declare site '${site}' in 'sites', or correct the ${FLEET_SITE_LABEL} of camera '${camera.id}'.`);
  }
  return site;
}

/** A site's own camera may carry a `site` label, but only its own site's. */
function refuseOtherSiteLabel(fleet: string, camera: CameraSpec, where: string, site: string): void {
  const labelled = camera.labels?.[FLEET_SITE_LABEL];
  if (labelled === undefined || labelled === site) return;
  throw propError('VideoAnalyticsFleet', fleet, `${where}.labels.${FLEET_SITE_LABEL}`, labelled, `the site whose cameras list it (${site}): a camera belongs to one site`,
    `Move camera '${camera.id}' to site '${labelled}', or correct its ${FLEET_SITE_LABEL} label.`);
}

/** Camera ids are unique across the fleet: the central Prometheus and the reports name cameras by id. */
function refuseSecondPlacement(fleet: string, camera: CameraSpec, at: Placement, first: Placement | undefined): void {
  if (first === undefined) return;
  const fix = 'Remove one of the two, or give one of the two cameras another id: camera ids are unique across the fleet.';
  if (first.site === at.site) {
    throw propError('VideoAnalyticsFleet', fleet, at.where, camera.id, `listed once, but ${first.where} already lists it at site '${at.site}'`, fix);
  }
  throw propError('VideoAnalyticsFleet', fleet, at.where, camera.id, `a camera of one site, but ${first.where} already puts it at site '${first.site}' and this puts it at site '${at.site}'`, fix);
}
