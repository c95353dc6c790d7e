// Where the controller runs: the Container Apps ARM template, the Kubernetes manifest and the image's
// Dockerfile are checked for what they promise (no Azure, cluster or Docker engine here).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validate } from 'dockerfile-utils';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../../controller/src/config';

const repoRoot = path.resolve(__dirname, '../../../..');
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

type Json = Record<string, unknown>;

/** Every ARM expression string in the template, outside the parameters' own declarations. */
function expressions(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) node.forEach((n) => expressions(n, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      out.push(key);
      expressions(value, out);
    }
  }
  return out;
}

describe('controller deployment', () => {
  describe('deploy/container-apps/azuredeploy.json', () => {
    const template = JSON.parse(read('deploy/container-apps/azuredeploy.json')) as Json;
    const resources = template.resources as Json[];
    const { parameters: _declared, ...body } = template;
    const used = expressions(body).join('\n');

    it('is a deployment template', () => {
      assert.equal(template.$schema, 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#');
      assert.match(String(template.contentVersion), /^\d+\.\d+\.\d+\.\d+$/);
      for (const r of resources) {
        assert.equal(typeof r.type, 'string');
        assert.match(String(r.apiVersion), /^\d{4}-\d{2}-\d{2}(-preview)?$/);
        assert.ok(r.name, JSON.stringify(r));
      }
    });

    it('uses every parameter and variable it declares, and declares every one it uses', () => {
      const parameters = Object.keys(template.parameters as Json);
      for (const name of parameters) assert.ok(used.includes(`parameters('${name}')`), `parameter ${name} is unused`);
      for (const name of Object.keys(template.variables as Json)) assert.ok(used.includes(`variables('${name}')`), `variable ${name} is unused`);
      for (const [, name] of used.matchAll(/parameters\('([^']+)'\)/g)) assert.ok(parameters.includes(name), `parameter ${name} is not declared`);
      for (const name of ['organizationUrl', 'pools', 'image']) assert.ok(parameters.includes(name), name);
    });

    it('creates the identity, its role assignments, the environment and a job running --once every minute as that identity', () => {
      const types = resources.map((r) => r.type);
      for (const type of ['Microsoft.ManagedIdentity/userAssignedIdentities', 'Microsoft.Authorization/roleAssignments', 'Microsoft.App/managedEnvironments', 'Microsoft.App/jobs']) {
        assert.ok(types.includes(type), type);
      }
      const roles = resources.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments');
      assert.deepEqual(roles.map((r) => r.condition), ["[equals(parameters('provider'), 'aci')]", "[equals(parameters('provider'), 'batch')]"]);
      const job = resources.find((r) => r.type === 'Microsoft.App/jobs') as Json;
      const props = job.properties as { configuration: Json; template: { containers: Json[] } };
      assert.equal(props.configuration.triggerType, 'Schedule');
      assert.equal((props.configuration.scheduleTriggerConfig as Json).cronExpression, '* * * * *');
      const container = props.template.containers[0];
      assert.deepEqual(container.args, ['--config', '/config/controller.json', '--once']);
      assert.equal(container.image, "[parameters('image')]");
      assert.equal((job.identity as Json).type, 'UserAssigned');
      assert.ok((container.env as Json[]).some((e) => e.name === 'AZURE_CLIENT_ID'), 'the user-assigned identity is named to the credential');
      assert.ok(!JSON.stringify(container.env).includes('SECRET'), 'no secret in the environment');
    });
  });

  describe('deploy/kubernetes/controller.yaml', () => {
    const docs = parseAllDocuments(read('deploy/kubernetes/controller.yaml')).map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS() as Json;
    });
    const deployment = docs.find((d) => d.kind === 'Deployment') as Json & { spec: Json & { template: { metadata: Json; spec: Json & { containers: Json[] } } } };

    it('is one replica with --metrics-port and a liveness probe on /healthz', () => {
      assert.ok(deployment);
      assert.equal(deployment.spec.replicas, 1);
      const container = deployment.spec.template.spec.containers[0];
      const args = container.args as string[];
      assert.ok(args.includes('--metrics-port') && !args.includes('--once'), args.join(' '));
      const port = args[args.indexOf('--metrics-port') + 1];
      const probe = (container.livenessProbe as Json).httpGet as Json;
      assert.equal(probe.path, '/healthz');
      const ports = container.ports as Json[];
      assert.ok(ports.some((p) => String(p.containerPort) === port && (p.name === probe.port || String(probe.port) === port)));
    });

    it('uses workload identity: the pod label and the service account\'s client id', () => {
      assert.equal((deployment.spec.template.metadata.labels as Json)['azure.workload.identity/use'], 'true');
      const account = docs.find((d) => d.kind === 'ServiceAccount' && (d.metadata as Json).name === deployment.spec.template.spec.serviceAccountName) as Json;
      assert.ok(account, 'the service account the pod runs as');
      assert.ok(((account.metadata as Json).annotations as Json)['azure.workload.identity/client-id']);
      assert.equal((deployment.spec.template.spec.securityContext as Json).runAsNonRoot, true);
    });

    it('carries a configuration the controller accepts', () => {
      const map = docs.find((d) => d.kind === 'ConfigMap') as Json;
      assert.doesNotThrow(() => parseConfig(JSON.parse(String((map.data as Json)['controller.json']))));
    });
  });

  describe('images/controller/Dockerfile', () => {
    const dockerfile = read('images/controller/Dockerfile');

    it('has no lint problems, runs the bundle alone as a non-root user on a Node LTS base', () => {
      assert.deepEqual(validate(dockerfile), []);
      assert.match(dockerfile, /^FROM gcr\.io\/distroless\/nodejs(22|24)-debian\d+:nonroot$/m);
      assert.match(dockerfile, /^USER 65532:65532$/m);
      assert.match(dockerfile, /^COPY .*dist\/controller\/index\.js /m);
      const instructions = dockerfile.split('\n').filter((l) => !l.startsWith('#')).join('\n');
      assert.ok(!/node_modules|npm (ci|install)/.test(instructions), 'the bundle needs no node_modules');
    });
  });
});
