import { propError } from './errors';
import { labelValue } from './names';

/** The tag of an image reference, if it makes a valid label value (for `app.kubernetes.io/version`). */
export function imageTag(image: string): string | undefined {
  const tag = image.split('@')[0].split('/').pop()!.split(':')[1];
  return tag && labelValue(tag) === undefined ? tag : undefined;
}

/** Refuses `latest` and untagged images: the same manifest must always run the same code. */
export function requirePinnedImage(construct: string, id: string, prop: string, image: string): void {
  const lastSegment = image.split('@')[0].split('/').pop() ?? '';
  const pinned = image.includes('@sha256:') || /:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(lastSegment);
  if (!pinned || /:latest$/.test(image)) {
    throw propError(construct, id, prop, image, 'pinned to a version tag or digest', "Add a tag such as ':1.4.2'; 'latest' moves under your feet.");
  }
}
