// Flat config: recommended rules for JS and TS; generated output and dependencies are not linted.
// The layering is enforced here (test/manifest/layering.test.ts proves each rule catches a violation).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const RESTRICTED = '@typescript-eslint/no-restricted-imports';

// The product never reaches into the emulator or the tests.
const productBoundary = { group: ['**/emulator/**', '**/test/**'], message: 'The product (tasks/) never imports the emulator or the tests.' };
// The tasks never depend on the standing controller (controller/ builds on tasks/common/src, not the other way).
const controllerBoundary = { group: ['**/controller/**'], message: 'The tasks never import controller/: shared code lives in tasks/common/src.' };
// The controller is product too: it uses the shared core (tasks/common/src), never the emulator or the tests.
const controllerProductBoundary = { group: ['**/emulator/**', '**/test/**'], message: 'The controller never imports the emulator or the tests.' };
// Only the task-lib adapter (task-lib-io.ts) speaks to the agent's task library.
const taskLibBoundary = {
  group: ['azure-pipelines-task-lib', 'azure-pipelines-task-lib/*'],
  message: 'Only tasks/common/src/task-lib-io.ts imports azure-pipelines-task-lib; everything else goes through the TaskIO port.',
};
// Outside the provider adapters (providers/), the core knows providers only through their ports.
const adapterBoundary = {
  group: ['**/providers/aci', '**/providers/batch', '**/providers/batch-*', '@azure/batch', '@azure/batch/*', '@azure/arm-containerinstance', '@azure/arm-containerinstance/*'],
  message: 'Only providers/ (the adapters and their factory) knows a concrete provider or its SDK: use the AgentProvider and PoolAutoscaler ports.',
};
// Pure decision modules take data: no adapters, SDKs or I/O; the ports' types (and their pure helpers) are fine.
const pureBoundaries = [
  {
    group: [
      '**/providers/*', '!**/providers/provider', '!**/providers/pool-autoscaler',
      '**/devops/*', '!**/devops/agent-pool-client',
      '**/composition', '**/entry/*', '**/task-lib-io',
      '**/scale-pool', '**/agent-removal', '**/scale-out', '**/template-registration',
    ],
    allowTypeImports: true,
    message: 'A pure decision module imports no provider, client or orchestration (types only).',
  },
  {
    group: ['@azure/*', 'azure-devops-node-api', 'azure-devops-node-api/*', 'https-proxy-agent', 'node:http', 'node:https', 'node:net', 'node:tls', 'node:fs', 'node:fs/*', 'node:child_process', 'http', 'https', 'fs', 'child_process'],
    message: 'A pure decision module does no I/O: it takes what it decides from.',
  },
];
const PURE_MODULES = [
  'tasks/common/src/scaler/policy.ts',
  'tasks/common/src/scaler/fixed-slots.ts',
  'tasks/common/src/scaler/waiting-jobs.ts',
  'tasks/common/src/scaler/autoscale-formula.ts',
  'tasks/common/src/scaler/passes.ts',
  'tasks/common/src/scaler/sweep.ts',
  'tasks/common/src/scaler/pool-spec.ts',
  'tasks/common/src/scaler/scale-summary.ts',
  'tasks/common/src/agent-spec.ts',
  'tasks/common/src/naming.ts',
  'tasks/common/src/summary.ts',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'build/**', 'dist/**', '.tls/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' },
    },
    rules: {
      'no-throw-literal': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Later blocks replace the rule's options for the files they match, so each repeats what still applies.
  {
    files: ['tasks/**/*.ts'],
    rules: { [RESTRICTED]: ['error', { patterns: [productBoundary, controllerBoundary, taskLibBoundary] }] },
  },
  {
    files: ['tasks/common/src/**/*.ts'],
    ignores: ['tasks/common/src/providers/**'],
    rules: { [RESTRICTED]: ['error', { patterns: [productBoundary, controllerBoundary, taskLibBoundary, adapterBoundary] }] },
  },
  {
    files: ['tasks/common/src/task-lib-io.ts'],
    rules: { [RESTRICTED]: ['error', { patterns: [productBoundary, controllerBoundary, adapterBoundary] }] },
  },
  {
    files: PURE_MODULES,
    rules: { [RESTRICTED]: ['error', { patterns: [productBoundary, controllerBoundary, taskLibBoundary, adapterBoundary, ...pureBoundaries] }] },
  },
  {
    files: ['controller/**/*.ts'],
    rules: { [RESTRICTED]: ['error', { patterns: [controllerProductBoundary, taskLibBoundary] }] },
  },
  {
    files: ['emulator/**/*.ts'],
    rules: {
      [RESTRICTED]: ['error', {
        patterns: [
          { group: ['**/test/**'], message: 'The emulator never imports the tests.' },
          { group: ['**/tasks/**', '**/controller/**'], message: 'The emulator serves the wire protocols on its own: it never imports the product it is tested with.' },
        ],
      }],
    },
  },
);
