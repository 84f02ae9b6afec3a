import { z } from 'zod';
import { targetIdentityField, withIdentityScope, type TargetScopes } from '#libs/provider-kit';

/**
 * A runtime ARN: `arn:<partition>:bedrock-agentcore:<region>:<account>:runtime/<runtime id>`
 * (AgentCore mints ids as `<name>-<10 chars>`; any id of letters, digits, `_` and `-` is accepted).
 * The runtime id (after `runtime/`) is what the control plane's GetAgentRuntime takes.
 * https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-invoke-agent.html
 */
const runtimeArnPattern = /^arn:(aws|aws-cn|aws-us-gov):bedrock-agentcore:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):runtime\/([a-zA-Z][a-zA-Z0-9_-]{0,99})$/;

/** An endpoint name (`DEFAULT` or one created with CreateAgentRuntimeEndpoint). */
const qualifierPattern = /^[a-zA-Z][a-zA-Z0-9_]{0,47}$/;

/** AgentCore's bounds for `idleRuntimeSessionTimeout` and `maxLifetime` on microVM runtimes (API_LifecycleConfiguration). */
const lifecycleSeconds = z.number().int().min(60).max(28_800);

export const responseCodecNames = ['text', 'strands'] as const;
export type ResponseCodecName = (typeof responseCodecNames)[number];

/**
 * An agent's target on AWS Bedrock AgentCore Runtime. The region and account
 * come from the ARN; `region` (API.md §3's example sends it) is accepted when
 * it agrees with the ARN.
 * `idleTimeoutSeconds` / `maxLifetimeSeconds` must mirror the runtime's
 * `lifecycleConfiguration`: the broker derives its session deadlines from
 * them, since AgentCore reaps sessions silently.
 */
export const agentCoreTargetSchema = z
  .strictObject({
    agentRuntimeArn: z.string().regex(runtimeArnPattern, 'must be a runtime ARN (arn:aws:bedrock-agentcore:<region>:<account>:runtime/<name>-<id>)'),
    /** The runtime endpoint to invoke; AgentCore uses `DEFAULT` when omitted. */
    qualifier: z.string().regex(qualifierPattern, 'must be an endpoint name such as DEFAULT').optional(),
    /** How the agent container's response body is decoded (see codecs/README in the folder README). */
    responseCodec: z.enum(responseCodecNames).default('strands'),
    region: z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1').optional(),
    /** Send the bound end user as `runtimeUserId`; the caller's IAM role then needs `bedrock-agentcore:InvokeAgentRuntimeForUser`. */
    runtimeUserId: z.boolean().optional(),
    idleTimeoutSeconds: lifecycleSeconds.optional(),
    maxLifetimeSeconds: lifecycleSeconds.optional(),
    /** Also read the lifecycle from the control plane (GetAgentRuntime); needs `bedrock-agentcore:GetAgentRuntime`. */
    lifecycleFromControlPlane: z.boolean().optional(),
    /** The microVM size, for vCPU- and GiB-second estimates (AgentCore reports no usage). */
    vcpu: z.number().positive().max(64).optional(),
    memoryGiB: z.number().positive().max(512).optional(),
    /** An operator-configured identity to call the provider as (README: Provider identities). */
    identity: targetIdentityField,
  })
  .refine((target) => (target.idleTimeoutSeconds ?? 900) <= (target.maxLifetimeSeconds ?? 28_800), {
    message: 'idleTimeoutSeconds must not exceed maxLifetimeSeconds',
    path: ['idleTimeoutSeconds'],
  })
  .refine((target) => target.region === undefined || runtimeArnPattern.exec(target.agentRuntimeArn)?.[2] === target.region, {
    message: "region must be the ARN's region",
    path: ['region'],
  });

export type AgentCoreTarget = z.infer<typeof agentCoreTargetSchema>;

export interface RuntimeArnParts {
  partition: string;
  region: string;
  accountId: string;
  /** The runtime id, e.g. `my_agent-AbC123xYz0`. */
  runtimeId: string;
}

/** The parts of a runtime ARN; undefined when it is not one. */
export function parseRuntimeArn(arn: string): RuntimeArnParts | undefined {
  const match = runtimeArnPattern.exec(arn);
  return match ? { partition: match[1], region: match[2], accountId: match[3], runtimeId: match[4] } : undefined;
}

export function isQualifier(value: string): boolean {
  return qualifierPattern.test(value);
}

/** AgentCore's defaults when a runtime has no lifecycleConfiguration. */
export const defaultLifecycle = { idleTimeoutSeconds: 900, maxLifetimeSeconds: 28_800 } as const;

export interface Lifecycle {
  idleTimeoutSeconds: number;
  maxLifetimeSeconds: number;
}

/** The lifecycle a target declares, AgentCore's defaults filling the gaps. */
export function targetLifecycle(target: AgentCoreTarget): Lifecycle {
  return {
    idleTimeoutSeconds: target.idleTimeoutSeconds ?? defaultLifecycle.idleTimeoutSeconds,
    maxLifetimeSeconds: target.maxLifetimeSeconds ?? defaultLifecycle.maxLifetimeSeconds,
  };
}

/** A runtime ARN reaches its AWS account: the operator grants accounts (the platform's IAM role may reach several). */
export const agentCoreTargetScopes: TargetScopes = withIdentityScope({
  kinds: [{ kind: 'account', pattern: /^\d{12}$/, description: "an AWS account id, the ARN's fifth field", example: '123456789012' }],
  of(target) {
    const parts = parseRuntimeArn((target as AgentCoreTarget).agentRuntimeArn);
    if (!parts) throw new TypeError('not a runtime ARN');
    return [{ kind: 'account', value: parts.accountId }];
  },
});
