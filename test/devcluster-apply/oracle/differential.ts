/**
 * Differential check of the apply engine against structured-merge-diff, the library the real API
 * server merges with (see README.md here for building the oracle). Random sequences of applies
 * and updates by three managers run through both; the merged object, every manager's fieldsV1
 * (byte order included) and every conflict must agree. Run by hand:
 *   SMD_ORACLE=path/to/smd-oracle RUNS=500 npx tsx test/devcluster-apply/oracle/differential.ts
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { recordUpdate, registerListSchema, serverSideApply, type ApplyConflict } from '../../../src/devcluster/apply/index.js';
import type { KubeObject } from '../../../src/model/object.js';

function oraclePath(): string {
  const path = process.env['SMD_ORACLE'];
  if (!path) throw new Error('set SMD_ORACLE to the built oracle binary (see README.md)');
  return path;
}

const child = spawn(oraclePath(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: child.stdout });
const pending: ((s: string) => void)[] = [];
lines.on('line', (l) => pending.shift()!(l));
const ask = (req: unknown): Promise<any> => new Promise((res) => { pending.push((l) => res(JSON.parse(l))); child.stdin.write(JSON.stringify(req) + '\n'); });

const str = { type: 'string' };
registerListSchema('t', 'O', {
  type: 'object',
  properties: {
    spec: { type: 'object', properties: {
      replicas: { type: 'integer' },
      selector: { type: 'object', 'x-kubernetes-map-type': 'atomic', properties: { matchLabels: { type: 'object', additionalProperties: str } } },
      containers: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: {
        name: str, image: str, command: { type: 'array', items: str },
        env: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: str, value: str } } },
        ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'], items: { type: 'object', properties: { containerPort: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' }, name: str } } },
      } } },
    } },
  },
});

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const port = fc.record({ containerPort: fc.constantFrom(80, 443), protocol: opt(fc.constantFrom('TCP', 'UDP')), name: opt(fc.constantFrom('p', 'q')) }, { requiredKeys: ['containerPort'] });
const container = fc.record({
  name: fc.constantFrom('web', 'side', 'x'),
  image: opt(fc.constantFrom('i:1', 'i:2')),
  command: opt(fc.constantFrom(['a'], ['b', 'c'])),
  env: opt(fc.uniqueArray(fc.record({ name: fc.constantFrom('A', 'B'), value: opt(fc.constantFrom('1', '2')) }, { requiredKeys: ['name'] }), { selector: (e) => e.name, minLength: 1, maxLength: 2 })),
  ports: opt(fc.uniqueArray(port, { selector: (p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`, minLength: 1, maxLength: 2 })),
}, { requiredKeys: ['name'] });
const config = fc.record({
  labels: opt(fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('1', '2'), { minKeys: 1 })),
  finalizers: opt(fc.uniqueArray(fc.constantFrom('f/1', 'f/2', 'f/3'), { minLength: 1 })),
  replicas: opt(fc.constantFrom(1, 2)),
  selector: opt(fc.constantFrom({ matchLabels: { a: '1' } }, { matchLabels: { b: '2' } })),
  containers: opt(fc.uniqueArray(container, { selector: (c) => c.name, minLength: 1, maxLength: 3 })),
}).map((c) => JSON.parse(JSON.stringify({
  apiVersion: 't/v1', kind: 'O',
  metadata: { name: 'o', labels: c.labels, finalizers: c.finalizers },
  spec: { replicas: c.replicas, selector: c.selector, containers: c.containers },
})) as KubeObject);

const id = (m: string, op: string) => JSON.stringify(op === 'Apply' ? { manager: m, operation: op } : { manager: m, operation: op, apiVersion: 't/v1' });
const step = fc.record({ who: fc.constantFrom('a', 'b', 'c'), force: fc.boolean(), obj: config });

function managersOf(o: KubeObject | undefined) {
  return ((o?.metadata['managedFields'] as any[]) ?? []).map((e) => ({ manager: id(e.manager, e.operation), applied: e.operation === 'Apply', set: e.fieldsV1 }));
}
const strip = (o: KubeObject) => { const c = structuredClone(o); delete c.metadata['managedFields']; return c; };
const norm = (v: unknown) => JSON.parse(JSON.stringify(v));
// Typed decoding on a real server turns null into absent; an emptied map reads the same either way.
const loose = (v: any): any => {
  if (Array.isArray(v)) return v.map(loose);
  if (v && typeof v === 'object') {
    const o: any = {};
    for (const [k, x] of Object.entries(v)) { const l = loose(x); if (l !== null && !(typeof l === "object" && Object.keys(l).length === 0)) o[k] = l; }
    return o;
  }
  return v;
};
let compared = 0, bytes = 0;
await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
  let live: KubeObject | undefined;
  for (const s of steps) {
    // before-first-apply is the API server's layer, not structured-merge-diff's
    if (live && !live.metadata['managedFields']) break;
    const apply = s.who !== 'c';
    const managers = managersOf(live);
    const oracle = await ask({ op: apply ? 'apply' : 'update', live: live ? strip(live) : null, obj: s.obj, managers, manager: id(s.who, apply ? 'Apply' : 'Update'), force: s.force });
    if (oracle.error) throw new Error('oracle error ' + oracle.error);
    let mine: KubeObject | ApplyConflict[];
    if (apply) {
      const r = serverSideApply({ live, applied: s.obj, manager: s.who, force: s.force, now: '2026-01-01T00:00:00Z', apiVersion: 't/v1' });
      mine = r.ok ? r.object : r.conflicts;
    } else {
      mine = recordUpdate({ before: live, after: { ...s.obj, metadata: { ...s.obj.metadata, managedFields: live?.metadata['managedFields'] } }, manager: s.who, now: '2026-01-01T00:00:00Z', apiVersion: 't/v1' });
    }
    if (oracle.conflicts) {
      if (!Array.isArray(mine)) throw new Error(`oracle conflicts ${JSON.stringify(oracle.conflicts)} but mine ok\nsteps=${JSON.stringify(steps)}`);
      const a = oracle.conflicts.map((c: any) => c.manager + ' ' + c.path).sort();
      const b = mine.map((c) => id(c.manager, c.operation) + ' ' + c.field).sort();
      if (!isDeepStrictEqual(a, b)) throw new Error(`conflicts differ\n oracle ${a}\n mine   ${b}\nlive=${JSON.stringify(live)}\nstep=${JSON.stringify(s)}`);
      compared++;
      continue;
    }
    if (Array.isArray(mine)) throw new Error(`mine conflicts ${JSON.stringify(mine)} but oracle ok\nlive=${JSON.stringify(live)}\nstep=${JSON.stringify(s)}`);
    const myObj = norm(strip(mine));
    if (!isDeepStrictEqual(loose(myObj), loose(oracle.object))) throw new Error(`objects differ\n oracle ${JSON.stringify(oracle.object)}\n mine   ${JSON.stringify(myObj)}\nlive=${JSON.stringify(live)}\nstep=${JSON.stringify(s)}`);
    const om = Object.fromEntries((oracle.managers ?? []).map((m: any) => [m.manager, m.set]));
    const mm = Object.fromEntries(managersOf(mine).map((m) => [m.manager, m.set]));
    if (!isDeepStrictEqual(norm(om), norm(mm))) {
      // isDeepStrictEqual ignores key order for objects
      throw new Error(`managers differ\n oracle ${JSON.stringify(om)}\n mine   ${JSON.stringify(mm)}\nlive=${JSON.stringify(live)}\nstep=${JSON.stringify(s)}`);
    }
    for (const k of Object.keys(om)) if (JSON.stringify(om[k]) !== JSON.stringify(mm[k])) throw new Error(`byte order differs for ${k}\n oracle ${JSON.stringify(om[k])}\n mine   ${JSON.stringify(mm[k])}`);
    bytes++;
    compared++;
    live = mine;
  }
}), { numRuns: Number(process.env['RUNS'] ?? 300) });
console.log('compared steps', compared, 'byte-checked', bytes);
child.stdin.end();
