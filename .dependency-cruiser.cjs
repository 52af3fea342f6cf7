/**
 * The import rules of the product, checked by `npm run lint` (docs/architecture.md explains them).
 *
 * Folders are ranked in layers; a folder may import its own layer's files and those of lower
 * layers only, never a sibling of the same rank (siblings do not know each other) nor a higher
 * one. Ranked this way the folder graph cannot have a cycle. On top: no module-level cycle
 * anywhere, product code never imports infra/ (the CDK app, the local cloud, the topology), and the
 * domain imports nothing that does I/O.
 */
const LAYERS = [
  // 0: pure rules and types, a clock passed in
  ['shared/domain'],
  // 1: environment, clients, logging
  ['shared/runtime', 'shared/observability'],
  // 2: infrastructure-free building blocks (ports and adapters, the store, events, the HTTP edge,
  //    the lifecycle compiler)
  ['shared/store', 'shared/events', 'shared/adapters', 'shared/api', 'state-machines'],
  // 3: the job DSL's catalogue (validated with the API's schema engine)
  ['shared/dsl'],
  // 4–6: application modules, each importing only those below it
  ['shared/catalog'],
  ['shared/content'],
  [
    'shared/scenario',
    'shared/orchestration',
    'shared/sessions',
    'shared/inbound',
    'shared/fleet',
    'shared/ops',
  ],
  // 7: entry points
  ['lambdas', 'bin'],
];

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const under = (folders) => `^(${folders.map(esc).join('|')})/`;

const layerRules = LAYERS.flatMap((folders, rank) =>
  folders.map((folder) => {
    const allowed = [folder, ...LAYERS.slice(0, rank).flat()];
    const forbidden = LAYERS.flat().filter((f) => !allowed.includes(f));
    return {
      name: `layer:${folder}`,
      comment: `${folder} (layer ${rank}) may import only ${allowed.join(', ')}`,
      severity: 'error',
      from: { path: `^${esc(folder)}/` },
      to: { path: under(forbidden), pathNot: `^${esc(folder)}/` },
    };
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
const config = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle: each module of it imports, through the others, itself.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-infra-from-product',
      comment:
        'Product code (shared/, lambdas/, state-machines/, bin/) never imports infra/: the topology, the CDK app and the local cloud import the product, not the reverse.',
      severity: 'error',
      // bin/lcm.mjs, the launcher, hands `lcm content test` its dry run on the local simulators (D50).
      from: { path: '^(shared|lambdas|state-machines|bin)/', pathNot: '^bin/lcm\\.mjs$' },
      to: { path: '^infra/' },
    },
    {
      name: 'pure-domain',
      comment: 'shared/domain is pure: no AWS SDK, no middleware, no network or file I/O.',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: {
        path: '^node_modules/(@aws-sdk|@aws-lambda-powertools|@middy|ssh2|yauzl|jq-wasm)/|^(node:)?(fs|fs/promises|net|http|https|child_process|worker_threads)$',
      },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(test|cdk\\.out|\\.build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.json'],
    },
  },
};

module.exports = config;
// The layers, for docs/architecture.md's test (not part of dependency-cruiser's schema).
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });
