import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { loadConfig } from '#libs/config';
import { readYaml, repoPath, run, tool, yamlDocuments } from '../support/deploy-files.js';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Container {
  command?: string[];
  envFrom: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
  startupProbe?: { httpGet: { path: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean };
  volumes?: Array<{ name: string; emptyDir?: object }>;
  terminationGracePeriodSeconds?: number;
  serviceAccountName?: string;
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}
type ModelClass = new (data: unknown) => { validate(): void };

const kubectl = tool('kubectl');

/**
 * Validates an object against the Kubernetes OpenAPI schema of its
 * apiVersion and kind (the `kubernetes-models` package: offline, no cluster).
 * Types and required fields are checked; unknown fields are not (the schemas allow them).
 */
async function validateAgainstSchema(object: K8sObject): Promise<void> {
  const models = (await import(`kubernetes-models/${object.apiVersion}`)) as Record<string, ModelClass | undefined>;
  const model = models[object.kind];
  assert.ok(model, `no schema for ${object.apiVersion} ${object.kind}`);
  new model(object).validate();
}

function render(overlay: string): K8sObject[] {
  return yamlDocuments<K8sObject>(run(kubectl.path!, ['kustomize', repoPath('deploy/kubernetes/overlays', overlay)]));
}

const only = <T extends K8sObject>(objects: K8sObject[], kind: string) => {
  const found = objects.filter((object) => object.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0] as T;
};

/** What the image runs for `npm run migrate` (package.json), as the Job must. */
function migrateEntry(): string {
  const { scripts } = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: { migrate: string } };
  const entry = /node (\S+\.js)/.exec(scripts.migrate)?.[1];
  assert.ok(entry, 'package.json migrate runs a node entry');
  return entry;
}

describe('Kubernetes manifests (deploy/kubernetes)', { skip: kubectl.skip }, () => {
  for (const [overlay, replicas] of [
    ['dev', 1],
    ['production', 3],
  ] as const) {
    test(`the ${overlay} overlay renders objects that are valid against the Kubernetes schemas`, async () => {
      const objects = render(overlay);
      for (const object of objects) await validateAgainstSchema(object);
      assert.deepEqual(
        objects.map((object) => object.kind).sort(),
        ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Job', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount'],
      );
      console.log(`${overlay}: ${objects.length} objects valid (${objects.map((object) => object.kind).join(', ')})`);

      const deployment = only<K8sObject & { spec: { replicas: number; template: PodTemplate } }>(objects, 'Deployment');
      assert.equal(deployment.spec.replicas, replicas);
      const pod = deployment.spec.template.spec;
      const [broker] = pod.containers;
      assert.equal(broker.livenessProbe?.httpGet.path, '/healthz');
      assert.equal(broker.startupProbe?.httpGet.path, '/healthz');
      assert.equal(broker.readinessProbe?.httpGet.path, '/readyz');
      assert.ok(broker.resources?.requests?.cpu && broker.resources.limits?.memory, 'resources set');
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      assert.equal(broker.securityContext?.readOnlyRootFilesystem, true);
      assert.equal(broker.securityContext?.allowPrivilegeEscalation, false);
      const tmp = broker.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      assert.ok(tmp && pod.volumes?.find((volume) => volume.name === tmp.name)?.emptyDir, '/tmp is an emptyDir');
      assert.equal(deployment.spec.template.metadata.labels['azure.workload.identity/use'], 'true');

      // The drain (SHUTDOWN_GRACE_MS, as the broker reads it from the ConfigMap) and the preStop pause fit in the grace period.
      const configMap = only(objects, 'ConfigMap');
      const settings = loadConfig({ ...configMap.data, SWITCHBOARD_PROFILE: 'development' });
      const preStopSeconds = Number(broker.lifecycle?.preStop?.exec?.command.at(-1) ?? 0);
      assert.ok(pod.terminationGracePeriodSeconds! * 1000 > settings.http.shutdownGraceMs + preStopSeconds * 1000, 'grace period longer than the drain');
      assert.equal(configMap.data?.SWITCHBOARD_PROFILE, 'production');

      // Every reference resolves: the rendered ConfigMap (hash-suffixed), the Secret the operator creates, the ServiceAccount.
      const job = only<K8sObject & { spec: { template: PodTemplate } }>(objects, 'Job');
      for (const spec of [pod, job.spec.template.spec]) {
        const [container] = spec.containers;
        assert.deepEqual(container.envFrom, [{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: 'switchboard-secrets' } }]);
        assert.equal(spec.serviceAccountName, only(objects, 'ServiceAccount').metadata.name);
      }
      assert.deepEqual(job.spec.template.spec.containers[0].command, ['node', migrateEntry()]);
      assert.ok(existsSync(repoPath(migrateEntry().replace(/^dist\//, '').replace(/\.js$/, '.ts'))), 'the migrate entry exists');

      const serviceAccount = only(objects, 'ServiceAccount');
      for (const annotation of ['eks.amazonaws.com/role-arn', 'azure.workload.identity/client-id', 'iam.gke.io/gcp-service-account']) {
        assert.ok(serviceAccount.metadata.annotations?.[annotation], annotation);
      }
      const hpa = only<K8sObject & { spec: { minReplicas: number; maxReplicas: number; scaleTargetRef: { name: string } } }>(objects, 'HorizontalPodAutoscaler');
      assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
      assert.ok(hpa.spec.minReplicas <= replicas && hpa.spec.maxReplicas >= replicas);
    });
  }

  test('the example Secret lists what the production profile requires', () => {
    const secret = readYaml<{ stringData: Record<string, string> }>('deploy/kubernetes/base/secret.example.yaml');
    for (const key of ['DATABASE_URL', 'SWITCHBOARD_ADMIN_KEY', 'SWITCHBOARD_AUDIT_KEYS']) assert.ok(secret.stringData[key], key);
  });
});

describe('docker-compose.yml', () => {
  interface Service {
    image?: string;
    build?: string;
    command?: string[];
    depends_on?: string[] | Record<string, unknown>;
    volumes?: string[];
    environment?: Record<string, string>;
  }
  // Compose takes a list of services or a map of service to condition.
  const dependencies = (service: Service) => (Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {}));
  const compose = readYaml<{ services: Record<string, Service> }>('docker-compose.yml');

  test('runs PostgreSQL, two broker replicas after the migrations, Prometheus scraping both, and Grafana with the dashboard', () => {
    const names = Object.keys(compose.services).sort();
    assert.deepEqual(names, ['broker-1', 'broker-2', 'grafana', 'migrate', 'postgres', 'prometheus']);
    for (const service of Object.values(compose.services)) {
      for (const dependency of dependencies(service)) assert.ok(compose.services[dependency], `depends on ${dependency}`);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (source.startsWith('./')) assert.ok(existsSync(repoPath(source)), `${source} exists`);
      }
    }
    for (const replica of ['broker-1', 'broker-2']) {
      assert.equal(compose.services[replica].build, '.');
      assert.ok(dependencies(compose.services[replica]).includes('migrate'), `${replica} starts after the migrations`);
    }
    assert.deepEqual(compose.services.migrate.command, ['node', migrateEntry()]);

    const prometheus = readYaml<{ rule_files: string[]; scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> }>('deploy/prometheus/prometheus.yml');
    const targets = prometheus.scrape_configs.flatMap((scrape) => scrape.static_configs.flatMap((config) => config.targets));
    assert.deepEqual(targets.map((target) => target.split(':')[0]).sort(), ['broker-1', 'broker-2']);
    const mounted = (service: string, target: string) => compose.services[service].volumes?.some((volume) => volume.split(':')[1] === target);
    for (const rules of prometheus.rule_files) assert.ok(mounted('prometheus', rules), `${rules} is mounted`);

    const provider = readYaml<{ providers: Array<{ options: { path: string } }> }>('deploy/grafana/provisioning/dashboards/switchboard.yml');
    assert.ok(mounted('grafana', `${provider.providers[0].options.path}/switchboard.json`), 'the dashboard is mounted where the provider reads');
    const datasource = readYaml<{ datasources: Array<{ url: string }> }>('deploy/grafana/provisioning/datasources/prometheus.yml');
    assert.equal(new URL(datasource.datasources[0].url).hostname, 'prometheus');
  });
});
