/**
 * What can go wrong talking to a cluster, as typed errors: each names the object (formatRef), the
 * verb and the server's reason, and its hint says what to do about it.
 */
import { KasaneError } from '../errors.js';
import { formatRef, type ObjectRef } from '../model/object.js';

/** The verbs kasane uses, as the API server's RBAC names them. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'patch' | 'delete' | 'discover';

/** A Kubernetes Status object, as the API server sends it with every error. */
export interface ApiStatus {
  readonly kind?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
    readonly retryAfterSeconds?: number;
  };
}

/** Facts every API error carries. */
export interface ApiErrorFacts {
  readonly verb: Verb;
  readonly ref?: ObjectRef | undefined;
  /** The resource as RBAC names it: `deployments.apps`, `configmaps`. */
  readonly resource?: string | undefined;
  readonly namespace?: string | undefined;
  readonly status: number;
  readonly apiStatus?: ApiStatus | undefined;
}

function subject(facts: { verb: Verb; ref?: ObjectRef | undefined; resource?: string | undefined; namespace?: string | undefined }): string {
  if (facts.ref) return formatRef(facts.ref);
  const where = facts.namespace ? ` in namespace ${facts.namespace}` : '';
  return `${facts.resource ?? 'resource'}${where}`;
}

/** Any answer of the API server that is an error; the subclasses below are the ones callers tell apart. */
export class ClusterApiError extends KasaneError {
  override readonly name: string = 'ClusterApiError';
  readonly verb: Verb;
  readonly ref: ObjectRef | undefined;
  readonly resource: string | undefined;
  readonly namespace: string | undefined;
  readonly status: number;
  readonly reason: string | undefined;
  readonly serverMessage: string | undefined;
  readonly apiStatus: ApiStatus | undefined;

  constructor(facts: ApiErrorFacts, message?: string, hint?: string) {
    const serverMessage = facts.apiStatus?.message;
    super(
      message ?? `${subject(facts)}: ${facts.verb} failed: ${serverMessage ?? `HTTP ${facts.status}`}${facts.apiStatus?.reason ? ` (${facts.apiStatus.reason})` : ''}`,
      hint === undefined ? {} : { hint },
    );
    this.verb = facts.verb;
    this.ref = facts.ref;
    this.resource = facts.resource;
    this.namespace = facts.namespace;
    this.status = facts.status;
    this.reason = facts.apiStatus?.reason;
    this.serverMessage = serverMessage;
    this.apiStatus = facts.apiStatus;
  }
}

/** 404: the object (or, for a create, its namespace) does not exist. */
export class NotFoundError extends ClusterApiError {
  override readonly name: string = 'NotFoundError';
  /** What the server could not find, as it names it: `namespaces`, `deployments`. */
  readonly missingResource: string | undefined;
  readonly missingName: string | undefined;

  constructor(facts: ApiErrorFacts) {
    const missingResource = facts.apiStatus?.details?.kind;
    const missingName = facts.apiStatus?.details?.name;
    super(
      facts,
      `${subject(facts)}: ${facts.verb} failed: ${facts.apiStatus?.message ?? 'not found'}`,
      missingResource === 'namespaces' && missingName
        ? `create namespace ${missingName} first, or set createNamespace: true on the release`
        : undefined,
    );
    this.missingResource = missingResource;
    this.missingName = missingName;
  }

  /** The create failed because the object's namespace does not exist (yet). */
  get isMissingNamespace(): boolean {
    return this.missingResource === 'namespaces';
  }
}

/** 403: the kubeconfig's user may not do this. */
export class ForbiddenError extends ClusterApiError {
  override readonly name: string = 'ForbiddenError';
  constructor(facts: ApiErrorFacts, contextName: string) {
    const where = facts.namespace ? ` in namespace ${facts.namespace}` : '';
    super(
      facts,
      `${subject(facts)}: forbidden to ${facts.verb} ${facts.resource ?? 'this resource'}${where}: ${facts.apiStatus?.message ?? 'HTTP 403'}`,
      facts.apiStatus?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')
        ? `namespace ${facts.namespace ?? ''} is being deleted; wait until it is gone, then run again`
        : `grant the user of context "${contextName}" the RBAC permission to ${facts.verb} ${facts.resource ?? 'this resource'}${where}, or use a context that has it`,
    );
  }
}

/** 401: the server did not accept the credentials. */
export class UnauthorizedError extends ClusterApiError {
  override readonly name: string = 'UnauthorizedError';
  constructor(facts: ApiErrorFacts, contextName: string) {
    super(
      facts,
      `${subject(facts)}: ${facts.verb} failed: the API server rejected the credentials of context "${contextName}" (HTTP 401)`,
      'check the user of that context in the kubeconfig: the token or certificate may have expired',
    );
  }
}

/** One field another field manager owns, with the manager's name. */
export interface FieldConflict {
  readonly field: string;
  readonly manager?: string | undefined;
  readonly message: string;
}

/** 409 on apply: fields owned by other field managers; or 409 on an update with a stale resourceVersion. */
export class ConflictError extends ClusterApiError {
  override readonly name: string = 'ConflictError';
  readonly conflicts: readonly FieldConflict[];

  constructor(facts: ApiErrorFacts) {
    const conflicts = (facts.apiStatus?.details?.causes ?? [])
      .filter((c) => c.reason === 'FieldManagerConflict' || c.field !== undefined)
      .map((c) => ({
        field: c.field ?? '',
        manager: /conflict with "([^"]+)"/.exec(c.message ?? '')?.[1],
        message: c.message ?? '',
      }));
    const fields = conflicts.map((c) => (c.manager ? `${c.field} (owned by ${c.manager})` : c.field)).join(', ');
    super(
      facts,
      conflicts.length > 0
        ? `${subject(facts)}: ${facts.verb} conflicts with other field managers: ${fields}`
        : `${subject(facts)}: ${facts.verb} failed: ${facts.apiStatus?.message ?? 'conflict'}`,
      conflicts.length > 0
        ? 'another tool changed fields kasane applies; apply with force to take them back, or stop setting them in the chart'
        : 'the object changed while kasane was working on it; run the command again',
    );
    this.conflicts = conflicts;
  }
}

/** 409 AlreadyExists on create. */
export class AlreadyExistsError extends ClusterApiError {
  override readonly name: string = 'AlreadyExistsError';
}

/** One reason the server gave for rejecting an object. */
export interface InvalidCause {
  readonly field?: string | undefined;
  readonly reason?: string | undefined;
  readonly message: string;
}

/** 422 (or 400 from strict field validation): the server rejected the object's content. */
export class InvalidError extends ClusterApiError {
  override readonly name: string = 'InvalidError';
  readonly causes: readonly InvalidCause[];

  constructor(facts: ApiErrorFacts) {
    const causes = (facts.apiStatus?.details?.causes ?? []).map((c) => ({
      field: c.field,
      reason: c.reason,
      message: c.message ?? c.reason ?? 'invalid',
    }));
    const listed = causes.map((c) => `\n    ${c.field ? `${c.field}: ` : ''}${c.message}`).join('');
    super(
      facts,
      `${subject(facts)}: rejected by the API server on ${facts.verb}: ${facts.apiStatus?.message ?? `HTTP ${facts.status}`}${listed}`,
      'fix the object in the chart (the fields above), then run again; `kasane render` shows what is sent',
    );
    this.causes = causes;
  }
}

/** The cluster's API has no such kind: a CRD that is not installed, or a typo in apiVersion/kind. */
export class UnknownKindError extends KasaneError {
  override readonly name: string = 'UnknownKindError';
  readonly apiVersion: string;
  readonly kind: string;
  readonly ref: ObjectRef | undefined;

  constructor(apiVersion: string, kind: string, ref?: ObjectRef) {
    super(
      `${ref ? `${formatRef(ref)}: ` : ''}the cluster does not know kind ${kind} in ${apiVersion}`,
      {
        hint: `install the CustomResourceDefinition that defines ${kind} (${apiVersion}) first, or render it in the same environment; check apiVersion and kind for typos`,
      },
    );
    this.apiVersion = apiVersion;
    this.kind = kind;
    this.ref = ref;
  }
}

/** No answer from the API server at all. */
export class UnreachableError extends KasaneError {
  override readonly name: string = 'UnreachableError';
  readonly server: string;
  readonly contextName: string;

  constructor(server: string, contextName: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`cannot reach the Kubernetes API server ${server} (context "${contextName}"): ${why}`, {
      hint: 'check that the cluster is running and reachable, and that --kubeconfig/KUBECONFIG and --context point at the right cluster',
      cause,
    });
    this.server = server;
    this.contextName = contextName;
  }
}

/** The kubeconfig could not be found, read or used. */
export class KubeconfigError extends KasaneError {
  override readonly name: string = 'KubeconfigError';
  readonly file: string | undefined;

  constructor(message: string, file?: string, hint?: string, cause?: unknown) {
    super(message, { hint: hint ?? 'pass --kubeconfig FILE or set KUBECONFIG, and --context NAME', cause });
    this.file = file;
  }
}

/** A watch whose resourceVersion is older than the server keeps (410 Gone): list again and re-watch. */
export class ExpiredError extends ClusterApiError {
  override readonly name: string = 'ExpiredError';
}
