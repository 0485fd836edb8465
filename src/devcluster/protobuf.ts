/**
 * Just enough of the Kubernetes protobuf encoding to read what typed clients, which always write
 * protobuf, send: `kubectl create namespace|configmap|secret|serviceaccount|deployment|job|cronjob|
 * service` and `kubectl run`, and Helm's release Secrets and deletes. Field numbers are those of
 * the published API, only for the fields those commands set; other kinds get 415.
 */
import { ApiError } from './status.js';

type Scalar = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'intOrString';
type FieldType = Scalar | { message: Schema } | { map: 'string' | 'bytes' };
interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
}
type Schema = Record<number, Field>;

const f = (name: string, type: FieldType, repeated = false): Field => ({ name, type, repeated });

const OBJECT_META: Schema = {
  1: f('name', 'string'),
  2: f('generateName', 'string'),
  3: f('namespace', 'string'),
  6: f('resourceVersion', 'string'),
  11: f('labels', { map: 'string' }),
  12: f('annotations', { map: 'string' }),
  13: f(
    'ownerReferences',
    { message: { 1: f('kind', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('controller', 'bool'), 7: f('blockOwnerDeletion', 'bool') } },
    true,
  ),
  14: f('finalizers', 'string', true),
};

const LOCAL_OBJECT_REFERENCE: Schema = { 1: f('name', 'string') };

const LABEL_SELECTOR: Schema = { 1: f('matchLabels', { map: 'string' }) };

const CONTAINER: Schema = {
  1: f('name', 'string'),
  2: f('image', 'string'),
  3: f('command', 'string', true),
  4: f('args', 'string', true),
  5: f('workingDir', 'string'),
  6: f('ports', { message: { 1: f('name', 'string'), 2: f('hostPort', 'int'), 3: f('containerPort', 'int'), 4: f('protocol', 'string'), 5: f('hostIP', 'string') } }, true),
  7: f('env', { message: { 1: f('name', 'string'), 2: f('value', 'string') } }, true),
  13: f('terminationMessagePath', 'string'),
  14: f('imagePullPolicy', 'string'),
  20: f('terminationMessagePolicy', 'string'),
};

const POD_SPEC: Schema = {
  2: f('containers', { message: CONTAINER }, true),
  3: f('restartPolicy', 'string'),
  6: f('dnsPolicy', 'string'),
  8: f('serviceAccountName', 'string'),
  19: f('schedulerName', 'string'),
  20: f('initContainers', { message: CONTAINER }, true),
};

const POD_TEMPLATE: Schema = { 1: f('metadata', { message: OBJECT_META }), 2: f('spec', { message: POD_SPEC }) };

const JOB_SPEC: Schema = {
  1: f('parallelism', 'int'),
  2: f('completions', 'int'),
  3: f('activeDeadlineSeconds', 'int'),
  4: f('selector', { message: LABEL_SELECTOR }),
  6: f('template', { message: POD_TEMPLATE }),
  7: f('backoffLimit', 'int'),
};

const DELETE_OPTIONS: Schema = {
  1: f('gracePeriodSeconds', 'int'),
  2: f('preconditions', { message: { 1: f('uid', 'string'), 2: f('resourceVersion', 'string') } }),
  3: f('orphanDependents', 'bool'),
  4: f('propagationPolicy', 'string'),
  5: f('dryRun', 'string', true),
};

const KINDS: Record<string, Schema> = {
  'v1/DeleteOptions': DELETE_OPTIONS,
  'meta.k8s.io/v1/DeleteOptions': DELETE_OPTIONS,
  'v1/Namespace': {
    1: f('metadata', { message: OBJECT_META }),
    2: f('spec', { message: { 1: f('finalizers', 'string', true) } }),
  },
  'v1/ConfigMap': {
    1: f('metadata', { message: OBJECT_META }),
    2: f('data', { map: 'string' }),
    3: f('binaryData', { map: 'bytes' }),
    4: f('immutable', 'bool'),
  },
  'v1/Secret': {
    1: f('metadata', { message: OBJECT_META }),
    2: f('data', { map: 'bytes' }),
    3: f('type', 'string'),
    4: f('stringData', { map: 'string' }),
    5: f('immutable', 'bool'),
  },
  'v1/Pod': { 1: f('metadata', { message: OBJECT_META }), 2: f('spec', { message: POD_SPEC }) },
  'v1/Service': {
    1: f('metadata', { message: OBJECT_META }),
    2: f('spec', {
      message: {
        1: f('ports', { message: { 1: f('name', 'string'), 2: f('protocol', 'string'), 3: f('port', 'int'), 4: f('targetPort', 'intOrString'), 5: f('nodePort', 'int') } }, true),
        2: f('selector', { map: 'string' }),
        3: f('clusterIP', 'string'),
        4: f('type', 'string'),
        10: f('externalName', 'string'),
      },
    }),
  },
  'apps/v1/Deployment': {
    1: f('metadata', { message: OBJECT_META }),
    2: f('spec', {
      message: {
        1: f('replicas', 'int'),
        2: f('selector', { message: LABEL_SELECTOR }),
        3: f('template', { message: POD_TEMPLATE }),
        4: f('strategy', { message: { 1: f('type', 'string') } }),
        5: f('minReadySeconds', 'int'),
      },
    }),
  },
  'batch/v1/Job': { 1: f('metadata', { message: OBJECT_META }), 2: f('spec', { message: JOB_SPEC }) },
  'batch/v1/CronJob': {
    1: f('metadata', { message: OBJECT_META }),
    2: f('spec', {
      message: {
        1: f('schedule', 'string'),
        3: f('concurrencyPolicy', 'string'),
        5: f('jobTemplate', { message: { 1: f('metadata', { message: OBJECT_META }), 2: f('spec', { message: JOB_SPEC }) } }),
      },
    }),
  },
  'v1/ServiceAccount': {
    1: f('metadata', { message: OBJECT_META }),
    3: f('imagePullSecrets', { message: LOCAL_OBJECT_REFERENCE }, true),
    4: f('automountServiceAccountToken', 'bool'),
  },
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }

  bytes(): Buffer {
    const len = this.varint();
    const out = this.buf.subarray(this.pos, this.pos + len);
    if (out.length !== len) throw new Error('truncated field');
    this.pos += len;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

/** Every field as (number, wire type, value) where value is a number or the raw bytes. */
function* fields(buf: Buffer): Generator<[number, number, number | Buffer]> {
  const r = new Reader(buf);
  while (!r.done) {
    const tag = r.varint();
    const wireType = tag & 7;
    const num = Math.floor(tag / 8);
    if (wireType === 0) yield [num, wireType, r.varint()];
    else if (wireType === 2) yield [num, wireType, r.bytes()];
    else r.skip(wireType);
  }
}

function decodeScalar(type: Scalar, value: number | Buffer): unknown {
  switch (type) {
    case 'string':
      return Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
    case 'bytes':
      return Buffer.isBuffer(value) ? value.toString('base64') : undefined;
    case 'int':
      return typeof value === 'number' ? value : undefined;
    case 'bool':
      return typeof value === 'number' ? value !== 0 : undefined;
    case 'intOrString': {
      if (!Buffer.isBuffer(value)) return undefined;
      let kind = 0;
      let int = 0;
      let str = '';
      for (const [n, , v] of fields(value)) {
        if (n === 1 && typeof v === 'number') kind = v;
        if (n === 2 && typeof v === 'number') int = v;
        if (n === 3 && Buffer.isBuffer(v)) str = v.toString('utf8');
      }
      return kind === 1 ? str : int;
    }
    case 'time': {
      if (!Buffer.isBuffer(value)) return undefined;
      let seconds = 0;
      for (const [n, , v] of fields(value)) if (n === 1 && typeof v === 'number') seconds = v;
      return seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
  }
}

/** Zero values are how the encoding writes "unset": they are dropped, as JSON would omit them. */
function isEmpty(v: unknown): boolean {
  return v === undefined || v === '' || v === 0 || v === false || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
}

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [num, , value] of fields(buf)) {
    const field = schema[num];
    if (field === undefined) continue;
    const { type } = field;
    let decoded: unknown;
    if (typeof type === 'string') decoded = decodeScalar(type, value);
    else if ('message' in type) decoded = Buffer.isBuffer(value) ? decodeMessage(value, type.message) : undefined;
    else if (Buffer.isBuffer(value)) {
      let key = '';
      let entry: unknown;
      for (const [n, , v] of fields(value)) {
        if (n === 1 && Buffer.isBuffer(v)) key = v.toString('utf8');
        if (n === 2 && Buffer.isBuffer(v)) entry = type.map === 'bytes' ? v.toString('base64') : v.toString('utf8');
      }
      const map = (out[field.name] ?? {}) as Record<string, unknown>;
      map[key] = entry ?? '';
      out[field.name] = map;
      continue;
    }
    if (field.repeated) {
      out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), decoded];
    } else if (!isEmpty(decoded)) {
      out[field.name] = decoded;
    }
  }
  return out;
}

/** Decodes a `k8s\0`-enveloped protobuf object into its JSON form, or refuses it with 415. */
export function decodeProtobuf(body: Buffer): unknown {
  const unsupported = (what: string): ApiError =>
    new ApiError(415, 'UnsupportedMediaType', `the devcluster reads protobuf only for the kinds \`kubectl create <kind>\` makes most (got ${what}); send application/json or YAML`);
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw unsupported('no k8s envelope');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  for (const [num, , value] of fields(body.subarray(4))) {
    if (!Buffer.isBuffer(value)) continue;
    if (num === 1) {
      for (const [n, , v] of fields(value)) {
        if (n === 1 && Buffer.isBuffer(v)) apiVersion = v.toString('utf8');
        if (n === 2 && Buffer.isBuffer(v)) kind = v.toString('utf8');
      }
    } else if (num === 2) raw = value;
  }
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (schema === undefined || raw === undefined) throw unsupported(`${apiVersion} ${kind}`);
  return { apiVersion, kind, ...decodeMessage(raw, schema) };
}
