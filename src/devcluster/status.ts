/**
 * Kubernetes Status error bodies, shaped exactly as a real API server sends them.
 * Handlers throw ApiError; the server turns it into the HTTP answer.
 */
import { qualifiedResource, type ResourceType } from './kinds.js';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    const body: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
    };
    if (this.details !== undefined) body['details'] = this.details;
    body['code'] = this.code;
    return body;
  }
}

type TypeRef = Pick<ResourceType, 'group' | 'plural'>;

function details(type: TypeRef, name: string): StatusDetails {
  const d: StatusDetails = { name };
  if (type.group !== '') d.group = type.group;
  d.kind = type.plural;
  return d;
}

export function notFound(type: TypeRef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, details(type, name));
}

export function alreadyExists(type: TypeRef, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, details(type, name));
}

export function conflict(type: TypeRef, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": ${why}`, details(type, name));
}

export const MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function forbidden(type: TypeRef, name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `${qualifiedResource(type)} "${name}" is forbidden: ${why}`, details(type, name));
}

export interface FieldError {
  /** FieldValueInvalid, FieldValueRequired, FieldValueForbidden, FieldValueNotSupported, FieldValueDuplicate */
  type: 'Invalid' | 'Required' | 'Forbidden' | 'NotSupported' | 'Duplicate';
  field: string;
  detail: string;
}

const CAUSE_REASON: Record<FieldError['type'], string> = {
  Invalid: 'FieldValueInvalid',
  Required: 'FieldValueRequired',
  Forbidden: 'FieldValueForbidden',
  NotSupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
};

const CAUSE_TEXT: Record<FieldError['type'], string> = {
  Invalid: 'Invalid value',
  Required: 'Required value',
  Forbidden: 'Forbidden',
  NotSupported: 'Unsupported value',
  Duplicate: 'Duplicate value',
};

/** `Invalid value: "x": field is immutable` — the field error text a real server prints. */
export function fieldError(type: FieldError['type'], field: string, detail: string, value?: unknown): FieldError {
  const shown = value === undefined ? '' : `${JSON.stringify(value)}: `;
  return { type, field, detail: `${CAUSE_TEXT[type]}: ${shown}${detail}` };
}

/** 422 Invalid: `Job.batch "x" is invalid: spec.template: Invalid value: ...: field is immutable`. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  const summary = errors.map((e) => `${e.field}: ${e.detail}`);
  const message = `${qualifiedKind} "${name}" is invalid: ${summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`}`;
  const d: StatusDetails = { name };
  if (group !== '') d.group = group;
  d.kind = kind;
  d.causes = errors.map((e) => ({ reason: CAUSE_REASON[e.type], message: e.detail, field: e.field }));
  return new ApiError(422, 'Invalid', message, d);
}
