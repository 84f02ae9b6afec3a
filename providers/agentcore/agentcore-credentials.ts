import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsIdentity } from '#libs/config';

/** STS's own limit on a role session name. */
const maxSessionNameLength = 64;

/**
 * The credentials of a configured AWS identity: STS AssumeRole of its role
 * (with its external id), signed by the broker's own credentials (the
 * default chain: IRSA / Pod Identity web identity, instance role, env…).
 * The SDK's `fromTemporaryCredentials` refreshes them before they expire,
 * and each client memoizes them, so a turn does not call STS.
 * https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-credential-providers/#fromtemporarycredentials
 *
 * `stsEndpoint` points STS elsewhere (tests); AWS's regional endpoint otherwise.
 */
export function assumedRoleCredentials(identity: AwsIdentity, region: string, stsEndpoint?: string): ReturnType<typeof fromTemporaryCredentials> {
  return fromTemporaryCredentials({
    params: {
      RoleArn: identity.roleArn,
      ...(identity.externalId ? { ExternalId: identity.externalId } : {}),
      // CloudTrail shows it on every call the role makes: which broker identity acted.
      RoleSessionName: (identity.sessionName ?? `switchboard-${identity.name}`).slice(0, maxSessionNameLength),
    },
    clientConfig: { region, ...(stsEndpoint ? { endpoint: stsEndpoint } : {}) },
  });
}
