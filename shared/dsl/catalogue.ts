/**
 * The job DSL's function catalogue: every function a step may `use`, with the
 * JSON Schema of its `with` input and of the outputs a `capture` may name. Content sync checks
 * every step against this; GET /v1/scenario-functions serves it.
 */
import type { JsonSchema } from '../api/schema.ts';

export interface ScenarioFunction {
  name: string;
  version: string;
  description: string;
  /** Whether the step must name a connector (`target`). */
  needsTarget: boolean;
  input: JsonSchema;
  output: JsonSchema;
  /** A step using it, as a job file writes it (the authoring guide shows it; a test validates it). */
  example: JobStep;
}

const str = { type: 'string' };
const obj = (properties: Record<string, unknown>, required: string[] = []): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});

const fns: ScenarioFunction[] = [
  {
    name: 'pause',
    version: 'v1',
    description: 'Wait a number of seconds (or until a condition later steps check)',
    needsTarget: false,
    input: obj({ seconds: { type: 'number', minimum: 0, maximum: 3600 } }, ['seconds']),
    output: obj({ waited_seconds: { type: 'number' } }),
    example: {
      id: 'settle',
      uses: 'pause@v1',
      with: { seconds: 5 },
      capture: { waited_seconds: 'settled_for' },
    },
  },
  {
    name: 'exec',
    version: 'v1',
    description: 'Run a configuration command on a device (enable mode as needed)',
    needsTarget: true,
    input: obj({ command: str, commands: { type: 'array', items: str }, config_mode: { type: 'boolean' } }),
    output: obj({ output: str, exit_code: { type: 'integer' } }),
    example: {
      id: 'banner',
      uses: 'exec@v1',
      target: 'rtr01',
      with: { commands: ['banner motd #Lab#'], config_mode: true },
      capture: { output: 'banner_output' },
    },
  },
  {
    name: 'copy',
    version: 'v1',
    description: 'Send a payload from the package files to a device',
    needsTarget: true,
    input: obj({ file: str, destination: str }, ['file']),
    output: obj({ bytes: { type: 'integer' }, output: str }),
    example: {
      id: 'base_config',
      uses: 'copy@v1',
      target: 'rtr01',
      with: { file: 'rtr01-base.cfg' },
      capture: { bytes: 'base_bytes' },
    },
  },
  {
    name: 'collect',
    version: 'v1',
    description: 'Run a show command and capture its output as evidence',
    needsTarget: true,
    input: obj({ command: str }, ['command']),
    output: obj({ output: str }),
    example: {
      id: 'rtr01_neighbors',
      uses: 'collect@v1',
      target: 'rtr01',
      with: { command: 'show ip ospf neighbor' },
      capture: { output: 'rtr01_ospf' },
    },
  },
  {
    name: 'evaluate.regex',
    version: 'v1',
    description: 'Match a regular expression against a collected value',
    needsTarget: false,
    input: obj(
      {
        source: str,
        regex: str,
        flags: { type: 'array', items: { enum: ['multiline', 'ignorecase', 'dotall'] } },
        negate: { type: 'boolean' },
      },
      ['source', 'regex'],
    ),
    output: obj({
      passed: { type: 'boolean' },
      match: { type: ['string', 'null'] },
      groups: { type: 'array' },
    }),
    example: {
      id: 'two_full',
      uses: 'evaluate.regex@v1',
      with: { source: '${ .vars.rtr01_ospf }', regex: 'FULL.*\\n.*FULL', flags: ['multiline'] },
      capture: { passed: 'rtr01_two_full' },
    },
  },
  {
    name: 'report.score',
    version: 'v1',
    description: 'Grade the collected vars against the rubric and store the score report',
    needsTarget: false,
    input: obj({ rubric: { type: ['string', 'object'] }, cut_score: { type: 'number' } }),
    output: obj({
      points_awarded: { type: 'number' },
      points_max: { type: 'number' },
      percentage: { type: 'number' },
      passed: { type: 'boolean' },
      report_ref: str,
    }),
    example: {
      id: 'score',
      uses: 'report.score@v1',
      with: { rubric: '${ .content.files.rubric }' },
      capture: { percentage: 'score_percentage', passed: 'score_passed' },
    },
  },
  {
    name: 'report.readiness',
    version: 'v1',
    description: 'Summarise readiness checks into a readiness report',
    needsTarget: false,
    input: obj({ checks: { type: ['array', 'string'] } }),
    output: obj({ ready: { type: 'boolean' }, report_ref: str }),
    example: {
      id: 'readiness',
      uses: 'report.readiness@v1',
      with: { checks: '${ [.vars.rtr01_uptime | test("uptime")] }' },
      capture: { ready: 'lab_ready' },
    },
  },
  {
    name: 'cml.lab_resolve',
    version: 'v1',
    description: "Find or import the pod's CML lab on its worker",
    needsTarget: false,
    input: obj({ title: str, topology: { type: ['string', 'object'] } }),
    output: obj({ lab_id: str, created: { type: 'boolean' } }),
    example: {
      id: 'lab',
      uses: 'cml.lab_resolve@v1',
      with: { title: '${ .runtime_env.lab_title }' },
      capture: { lab_id: 'lab_id' },
    },
  },
  {
    name: 'cml.lab_start',
    version: 'v1',
    description: 'Start the lab and wait until it converges',
    needsTarget: false,
    input: obj({ lab_id: str, wait_seconds: { type: 'number' } }, ['lab_id']),
    output: obj({ state: str, converged: { type: 'boolean' } }),
    example: {
      id: 'start',
      uses: 'cml.lab_start@v1',
      with: { lab_id: '${ .runtime_env.lab_id }', wait_seconds: 600 },
      capture: { converged: 'lab_converged' },
    },
  },
  {
    name: 'cml.lab_stop',
    version: 'v1',
    description: 'Stop the lab',
    needsTarget: false,
    input: obj({ lab_id: str }, ['lab_id']),
    output: obj({ state: str }),
    example: { id: 'stop', uses: 'cml.lab_stop@v1', with: { lab_id: '${ .runtime_env.lab_id }' } },
  },
  {
    name: 'cml.wipe',
    version: 'v1',
    description: "Wipe the lab's node disks",
    needsTarget: false,
    input: obj({ lab_id: str }, ['lab_id']),
    output: obj({ state: str }),
    example: { id: 'wipe', uses: 'cml.wipe@v1', with: { lab_id: '${ .runtime_env.lab_id }' } },
  },
  {
    name: 'cml.power',
    version: 'v1',
    description: 'Power a node on or off',
    needsTarget: false,
    input: obj({ lab_id: str, node: str, state: { enum: ['on', 'off'] } }, ['lab_id', 'node', 'state']),
    output: obj({ state: str }),
    example: {
      id: 'power_off_rtr02',
      uses: 'cml.power@v1',
      with: { lab_id: '${ .runtime_env.lab_id }', node: 'rtr02', state: 'off' },
      capture: { state: 'rtr02_state' },
    },
  },
  {
    name: 'cml.bounce_interface',
    version: 'v1',
    description: 'Shut and re-enable a node interface',
    needsTarget: false,
    input: obj({ lab_id: str, node: str, interface: str }, ['lab_id', 'node', 'interface']),
    output: obj({ state: str }),
    example: {
      id: 'flap',
      uses: 'cml.bounce_interface@v1',
      with: { lab_id: '${ .runtime_env.lab_id }', node: 'rtr01', interface: 'GigabitEthernet0/1' },
    },
  },
];

export const FUNCTION_CATALOGUE: Record<string, ScenarioFunction> = Object.fromEntries(
  fns.map((f) => [`${f.name}@${f.version}`, f]),
);

export interface JobStep {
  id: string;
  uses: string;
  target?: string;
  with?: Record<string, unknown>;
  capture?: Record<string, string>;
  when?: string;
  on_error?: { action: 'fail' | 'continue' | 'retry'; retries?: number; backoff?: number };
  timeout?: number;
  stage?: 'setup' | 'collect' | 'evaluate' | 'report';
}

export interface JobDefinition {
  kind: 'JobDefinition';
  metadata: { name: string; version: string; description?: string };
  spec: {
    process_type?: 'Initialization' | 'Grading' | 'Change' | 'Submission' | 'Archive';
    steps: JobStep[];
  };
}

const hasExpr = (v: unknown): boolean =>
  typeof v === 'string'
    ? v.includes('${')
    : Array.isArray(v)
      ? v.some(hasExpr)
      : v && typeof v === 'object'
        ? Object.values(v).some(hasExpr)
        : false;

/**
 * The schema a step's literal inputs are checked against: the function's input schema, with the
 * inputs given as `${ }` expressions no longer required. One object per function and required
 * set, kept for the process: ajv caches compiled validators by schema object, and one built per
 * step was compiled per step (0.75 ms each; 13.6 s of CPU for a package of 18k steps).
 */
const literalSchemas = new Map<string, JsonSchema>();
function literalSchema(uses: string, input: JsonSchema, required: string[]): JsonSchema {
  const key = `${uses}\u0000${required.join('\u0000')}`;
  let schema = literalSchemas.get(key);
  if (!schema) {
    schema = { ...input, required, additionalProperties: true };
    literalSchemas.set(key, schema);
  }
  return schema;
}

/** Checks one step against the catalogue: function known, target as required, `with` and `capture`. */
export function validateStepAgainstCatalogue(
  step: JobStep,
  validate: (schema: JsonSchema, data: unknown) => { pointer: string; detail: string; rule?: string }[],
): { pointer: string; detail: string; rule: string }[] {
  const out: { pointer: string; detail: string; rule: string }[] = [];
  const fn = FUNCTION_CATALOGUE[step.uses];
  if (!fn)
    return [
      {
        pointer: '/uses',
        detail: `unknown function ${step.uses}; known: ${Object.keys(FUNCTION_CATALOGUE).join(', ')}`,
        rule: 'catalogue.function',
      },
    ];
  if (fn.needsTarget && !step.target)
    out.push({
      pointer: '/target',
      detail: `${step.uses} needs a target connector`,
      rule: 'catalogue.target',
    });
  if (!fn.needsTarget && step.target)
    out.push({ pointer: '/target', detail: `${step.uses} takes no target`, rule: 'catalogue.target' });
  // Literal values are type-checked; `${ jq }` values can only be checked when the job runs.
  const literal: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(step.with ?? {})) literal[k] = hasExpr(v) ? undefined : v;
  const props = (fn.input.properties ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(step.with ?? {}))
    if (!(k in props))
      out.push({
        pointer: `/with/${k}`,
        detail: `${step.uses} has no input "${k}"`,
        rule: 'catalogue.input',
      });
  const required = ((fn.input.required ?? []) as string[]).filter(
    (r) => !(step.with && r in step.with && literal[r] === undefined),
  );
  const present = Object.fromEntries(Object.entries(literal).filter(([, v]) => v !== undefined));
  for (const e of validate(literalSchema(step.uses, fn.input, required), present))
    out.push({
      pointer: `/with${e.pointer === '/' ? '' : e.pointer}`,
      detail: e.detail,
      rule: `catalogue.input.${e.rule ?? 'schema'}`,
    });
  const outputs = (fn.output.properties ?? {}) as Record<string, unknown>;
  // capture: { <output key>: <var name> } (docs/decisions.md, D16).
  for (const [key, v] of Object.entries(step.capture ?? {})) {
    if (!(key in outputs))
      out.push({
        pointer: `/capture/${key}`,
        detail: `${step.uses} has no output "${key}"; it has ${Object.keys(outputs).join(', ')}`,
        rule: 'catalogue.output',
      });
    if (typeof v !== 'string' || !/^[a-z][a-z0-9_]*$/.test(v))
      out.push({
        pointer: `/capture/${key}`,
        detail: `the variable name "${String(v)}" must be snake_case`,
        rule: 'capture.name',
      });
  }
  return out;
}
