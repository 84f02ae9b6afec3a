import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Provider identities: the cloud identities an agent target may name
 * (`targets.<provider>.identity`) instead of the platform's one credential
 * per cloud (issue 20 item 6). The operator configures them; the API only
 * names them, and secrets come from files or environment variables named
 * here (Kubernetes Secrets), never from the API or the database.
 */

/** An identity's name as targets and target grants write it. */
export const identityNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Which cloud an identity belongs to; each runtime takes one kind (its module's `identityKind`). */
export const identityKinds = ['aws', 'azure', 'google', 'anthropic'] as const;
export type IdentityKind = (typeof identityKinds)[number];

const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID');
/** An environment variable's name (POSIX portable set). */
const environmentName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name');

/** STS AssumeRole's own limits: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html */
const awsIdentity = z.strictObject({
  kind: z.literal('aws'),
  roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)'),
  externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 characters of letters, digits and +=,.@:/-').optional(),
  sessionName: z.string().regex(/^[\w+=,.@-]{2,64}$/, 'must be 2-64 characters of letters, digits and +=,.@-').optional(),
});

/** A user-assigned managed identity or app registration, used through workload identity federation (or IMDS). */
const azureIdentity = z.strictObject({ kind: z.literal('azure'), clientId: uuid, tenantId: uuid.optional() });

/** A service account the broker's own Google credentials impersonate (they need roles/iam.serviceAccountTokenCreator on it). */
const googleIdentity = z.strictObject({
  kind: z.literal('google'),
  serviceAccount: z.string().regex(/^[a-z0-9-]{1,100}@[a-z0-9.-]+\.iam\.gserviceaccount\.com$/, 'must be a service account email (<name>@<project>.iam.gserviceaccount.com)'),
});

/** A workspace API key, read from a mounted Secret file or from an environment variable (never written here). */
const anthropicIdentity = z
  .strictObject({ kind: z.literal('anthropic'), apiKeyFile: z.string().min(1).optional(), apiKeyEnv: environmentName.optional() })
  .refine((identity) => (identity.apiKeyFile === undefined) !== (identity.apiKeyEnv === undefined), 'must name exactly one of apiKeyFile and apiKeyEnv');

const identitySpec = z.discriminatedUnion('kind', [awsIdentity, azureIdentity, googleIdentity, anthropicIdentity]);
const identitiesSpec = z.record(z.string().regex(identityNamePattern), identitySpec);
const identityNameRule = 'identity names are 1-64 letters, digits, dot, underscore or hyphen, starting with a letter or digit';

export type AwsIdentity = z.infer<typeof awsIdentity> & { name: string };
export type AzureIdentity = z.infer<typeof azureIdentity> & { name: string };
export type GoogleIdentity = z.infer<typeof googleIdentity> & { name: string };
/** The key itself was read at boot; `keySource` says from where, for logs (never the key). */
export type AnthropicIdentity = { kind: 'anthropic'; name: string; apiKey: string; keySource: string };
export type ProviderIdentity = AwsIdentity | AzureIdentity | GoogleIdentity | AnthropicIdentity;

/** The configured identities by name (empty when none are configured). */
export type IdentitiesConfig = ReadonlyMap<string, ProviderIdentity>;

/**
 * Reads `SWITCHBOARD_IDENTITIES` (JSON) or `SWITCHBOARD_IDENTITIES_FILE` (a
 * path to the same JSON, e.g. a mounted ConfigMap), validates it, and reads
 * each Anthropic key from its file or variable. Returns every problem
 * (never a secret in them), as the rest of the config does.
 */
export function loadIdentities(source: Record<string, string | undefined>): { identities: IdentitiesConfig; problems: string[] } {
  const inline = (source.SWITCHBOARD_IDENTITIES ?? '').trim();
  const file = (source.SWITCHBOARD_IDENTITIES_FILE ?? '').trim();
  const none = { identities: new Map<string, ProviderIdentity>(), problems: [] as string[] };
  if (inline !== '' && file !== '') return { ...none, problems: ['SWITCHBOARD_IDENTITIES_FILE: set either SWITCHBOARD_IDENTITIES or SWITCHBOARD_IDENTITIES_FILE, not both'] };
  if (inline === '' && file === '') return none;
  const key = inline !== '' ? 'SWITCHBOARD_IDENTITIES' : 'SWITCHBOARD_IDENTITIES_FILE';
  let text = inline;
  if (file !== '') {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      return { ...none, problems: [`${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`] };
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ...none, problems: [`${key}: must be a JSON object of identities by name`] };
  }
  const parsed = identitiesSpec.safeParse(json);
  if (!parsed.success) return { ...none, problems: parsed.error.issues.map((issue) => `${key}: ${issue.path.join('.') || '(root)'}: ${issue.code === 'invalid_key' ? identityNameRule : issue.message}`) };
  const identities = new Map<string, ProviderIdentity>();
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(parsed.data)) {
    if (spec.kind !== 'anthropic') {
      identities.set(name, { ...spec, name });
      continue;
    }
    const read = readAnthropicKey(spec, source);
    if ('problem' in read) problems.push(`${key}: ${name}: ${read.problem}`);
    else identities.set(name, { kind: 'anthropic', name, apiKey: read.apiKey, keySource: read.keySource });
  }
  return { identities, problems };
}

/**
 * A Kubernetes Secret mounted as a file or exposed as a variable. Read once
 * at boot: a rotated key takes effect at the next start (a rollout restart).
 */
function readAnthropicKey(spec: { apiKeyFile?: string; apiKeyEnv?: string }, source: Record<string, string | undefined>): { apiKey: string; keySource: string } | { problem: string } {
  if (spec.apiKeyEnv !== undefined) {
    const value = (source[spec.apiKeyEnv] ?? '').trim();
    return value === '' ? { problem: `apiKeyEnv: ${spec.apiKeyEnv} is not set` } : { apiKey: value, keySource: `env:${spec.apiKeyEnv}` };
  }
  try {
    const value = readFileSync(spec.apiKeyFile!, 'utf8').trim();
    return value === '' ? { problem: `apiKeyFile: ${spec.apiKeyFile} is empty` } : { apiKey: value, keySource: `file:${spec.apiKeyFile}` };
  } catch (error) {
    return { problem: `apiKeyFile: cannot read ${spec.apiKeyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}
