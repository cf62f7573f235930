import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';

/** Where a report goes: beside the app's output folder, never in it (Argo CD reads every file there as a manifest). */
export interface BesideOutputOptions {
  /**
   * The app's output folder; the report goes into the folder that holds it.
   * @default - the app's outdir (`dist`, or what `cdk8s synth --output` sets)
   */
  readonly outdir?: string;
  /**
   * Path of the report, relative to the folder that holds the output folder.
   * @default - the report's own file under `reports/`
   */
  readonly fileName?: string;
}

/** The path of a report beside the app's output folder. */
export function besideOutput(app: App, options: BesideOutputOptions, defaultFileName: string): string {
  const besideOutdir = path.dirname(path.resolve(options.outdir ?? app.outdir));
  return path.join(besideOutdir, options.fileName ?? path.join('reports', defaultFileName));
}

/** A report that renders as Markdown and is written beside the output, never in it. */
export abstract class MarkdownReport {
  /** The report as Markdown: stable text, without timestamps. */
  public abstract toMarkdown(): string;

  /**
   * Writes the Markdown to `file`, creating its folder.
   * @returns the path written
   */
  public writeMarkdown(file: string): string {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, this.toMarkdown());
    return file;
  }
}
