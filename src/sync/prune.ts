import type { KubeObject } from '../model/object.js';
import { LABEL_ENVIRONMENT, LABEL_MANAGED_BY, LABEL_RELEASE, MANAGED_BY_KASANE } from '../model/rendered.js';

export const ANNOTATION_PRUNE = 'kasane.io/prune';

/**
 * Why kasane must not delete a live object its inventory lists, or undefined when it may: the
 * object has to still carry kasane's labels for this environment and release (someone may have
 * re-created it by hand under the same name, or handed it to another release) and must not be
 * marked `kasane.io/prune: "false"`.
 */
export function pruneRefusal(live: KubeObject, environment: string, release: string): string | undefined {
  const labels = live.metadata.labels ?? {};
  if (labels[LABEL_MANAGED_BY] !== MANAGED_BY_KASANE || labels[LABEL_ENVIRONMENT] !== environment || labels[LABEL_RELEASE] !== release) {
    return `not labelled as managed by kasane for ${environment}/${release}; left alone`;
  }
  if (live.metadata.annotations?.[ANNOTATION_PRUNE] === 'false') return `annotated ${ANNOTATION_PRUNE}: "false"`;
  return undefined;
}
