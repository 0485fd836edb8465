import { compareKindsForInstall } from '../model/kinds.js';
import type { ObjectRef } from '../model/object.js';

/** Kinds applied before every wave: what the rest of the release cannot exist without. */
export function isBootstrapKind(kind: string): boolean {
  return kind === 'Namespace' || kind === 'CustomResourceDefinition';
}

/** Where an object sits in the main apply. */
export interface ApplyPosition {
  readonly ref: ObjectRef;
  readonly wave: number;
}

/** Apply order: namespaces and CRDs first, then waves, then kinds in install order, then names. */
export function compareApplyOrder(a: ApplyPosition, b: ApplyPosition): number {
  const bootstrapA = isBootstrapKind(a.ref.kind);
  const bootstrapB = isBootstrapKind(b.ref.kind);
  return (
    Number(bootstrapB) - Number(bootstrapA) ||
    (bootstrapA ? 0 : a.wave - b.wave) ||
    compareKindsForInstall(a.ref.kind, b.ref.kind) ||
    compareStrings(a.ref.namespace ?? '', b.ref.namespace ?? '') ||
    compareStrings(a.ref.name, b.ref.name)
  );
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
