/**
 * Stands in for RBAC. Two modes, both answering a refused request with the 403 Forbidden Status a
 * real API server's authorizer sends: `deny` refuses what its rules name and allows the rest;
 * `allow` (when present) refuses everything its rules do not name, as RBAC does for a subject that
 * holds only those rules. A deny rule wins over an allow rule.
 */
import { qualifiedResource, type ResourceType } from './kinds.js';
import { ApiError, type StatusDetails } from './status.js';

export interface AuthorizationRule {
  /** An RBAC verb (get, list, watch, create, update, patch, delete, deletecollection) or `*`. */
  verb: string;
  /** The plural resource as RBAC names it (`deployments`, `pods/log`, `deployments/status`) or `*`. */
  resource: string;
  /** The API group (`""` for core, `apps`); absent: any group. */
  group?: string;
  /** Absent: every namespace and the cluster scope. */
  namespace?: string;
  /** One object's name, as RBAC's resourceNames; absent: any object (and requests naming none, such as list and create). */
  name?: string;
}

export interface AuthorizationConfig {
  /** The user named in Forbidden messages; default `devcluster` (the kubeconfig's user). */
  user?: string;
  deny?: AuthorizationRule[];
  /** Present (even empty): only requests an allow rule matches are served. */
  allow?: AuthorizationRule[];
}

/** What an API request asks for, in the authorizer's terms. */
export interface RequestAttributes {
  verb: string;
  type: Pick<ResourceType, 'group' | 'plural'>;
  subresource: string | undefined;
  namespace: string | undefined;
  name: string | undefined;
}

/** The RBAC verb of a request, as the API server's request-info resolver derives it. */
export function requestVerb(method: string, name: string | undefined, watch: boolean): string {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name === undefined ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}

function matches(rule: AuthorizationRule, attrs: RequestAttributes, resource: string): boolean {
  if (rule.verb !== '*' && rule.verb !== attrs.verb) return false;
  if (rule.resource !== '*' && rule.resource !== resource) return false;
  if (rule.group !== undefined && rule.group !== '*' && rule.group !== attrs.type.group) return false;
  if (rule.name !== undefined && rule.name !== attrs.name) return false;
  return rule.namespace === undefined || rule.namespace === attrs.namespace;
}

/** Whether the configuration lets the request through. */
export function allowed(config: AuthorizationConfig | undefined, attrs: RequestAttributes): boolean {
  const resource = attrs.subresource === undefined ? attrs.type.plural : `${attrs.type.plural}/${attrs.subresource}`;
  if ((config?.deny ?? []).some((rule) => matches(rule, attrs, resource))) return false;
  return config?.allow === undefined || config.allow.some((rule) => matches(rule, attrs, resource));
}

/** Throws the 403 a real server sends when the configuration refuses the request. */
export function authorize(config: AuthorizationConfig | undefined, attrs: RequestAttributes): void {
  if (allowed(config, attrs)) return;
  const resource = attrs.subresource === undefined ? attrs.type.plural : `${attrs.type.plural}/${attrs.subresource}`;
  const user = config?.user ?? 'devcluster';
  const scope = attrs.namespace === undefined ? 'at the cluster scope' : `in the namespace "${attrs.namespace}"`;
  const why = `User "${user}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.type.group}" ${scope}`;
  const subject = attrs.name === undefined ? qualifiedResource(attrs.type) : `${qualifiedResource(attrs.type)} "${attrs.name}"`;
  const details: StatusDetails = {};
  if (attrs.name !== undefined) details.name = attrs.name;
  if (attrs.type.group !== '') details.group = attrs.type.group;
  details.kind = attrs.type.plural;
  throw new ApiError(403, 'Forbidden', `${subject} is forbidden: ${why}`, details);
}
