import * as fs from 'fs';
import * as path from 'path';
import { validateBeforeWriting } from '../../reports/validation-report';
import { LayeredApp } from '../../synth/layered-app';

/** A site's manifests, checked, and how to write them. */
export interface SiteManifests {
  /** Writes the files exactly as the site's app alone writes them (with the validation plugin's receipts). */
  write(): void;
}

/**
 * Checks a site's manifests without writing them. A plain stack of layers (every platform unless a
 * hook adds nested charts or dependencies between constructs) comes out as texts, written later as
 * LayeredApp writes them; any other app is checked on its YAML now and written by its own `synth()`.
 */
export function siteManifests(app: LayeredApp): SiteManifests {
  const files = app.synthFiles();
  if (files !== undefined) return { write: () => LayeredApp.writeFiles(files) };
  const { report } = validateBeforeWriting([{ path: app.outdir, yaml: app.synthYaml() }]);
  if (report !== undefined) throw new Error(`LayeredApp: the objects break the manifest rules, so nothing was written to ${app.outdir}.\n\n${report}`);
  return { write: () => app.synth() };
}

/** Everything a fleet writes, collected checked, then written in one go. */
export class FleetOutput {
  private readonly sites: Array<{ readonly name: string; readonly manifests: SiteManifests }> = [];
  private readonly supportFiles = new Map<string, string>();

  /** @param outdir the fleet's output folder: sites go into it, support files beside it */
  constructor(private readonly outdir: string) {}

  /** A site's manifests, for `<outdir>/<site>/`. */
  public addSite(name: string, manifests: SiteManifests): void {
    this.sites.push({ name, manifests });
  }

  /** A file beside the output folder, such as `cluster/<site>/<node>/config.yaml`. */
  public addSupportFile(file: string, content: string): void {
    this.supportFiles.set(file, content);
  }

  /**
   * Writes every site's folder (replaced) and the support files, after emptying `replaced`, the
   * folders beside the output that only the fleet writes.
   */
  public write(replaced: readonly string[]): void {
    for (const { name, manifests } of this.sites) {
      fs.rmSync(path.join(this.outdir, name), { recursive: true, force: true });
      manifests.write();
    }
    const beside = path.dirname(path.resolve(this.outdir));
    for (const folder of replaced) fs.rmSync(path.join(beside, folder), { recursive: true, force: true });
    for (const [file, content] of this.supportFiles) {
      fs.mkdirSync(path.dirname(path.join(beside, file)), { recursive: true });
      fs.writeFileSync(path.join(beside, file), content);
    }
  }
}
