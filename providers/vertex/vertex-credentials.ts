import { GoogleAuth, Impersonated, type AuthClient } from 'google-auth-library';
import type { GoogleIdentity } from '#libs/config';

const cloudPlatformScope = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * The broker's own Application Default Credentials (workload identity,
 * GOOGLE_APPLICATION_CREDENTIALS…): what impersonates configured identities.
 * Resolved once, when the live runtime starts with a Google identity configured.
 */
export function applicationDefaultClient(): Promise<AuthClient> {
  return new GoogleAuth({ scopes: [cloudPlatformScope] }).getClient();
}

/**
 * The credentials of a configured Google identity: the broker's ADC
 * impersonating its service account (IAM Credentials generateAccessToken,
 * refreshed before expiry by the library); the broker's principal needs
 * `roles/iam.serviceAccountTokenCreator` on it.
 * https://cloud.google.com/iam/docs/service-account-impersonation
 *
 * `iamCredentialsEndpoint` names another IAM Credentials endpoint (Private
 * Service Connect; tests); Google's own otherwise.
 */
export function impersonatedAuth(identity: GoogleIdentity, source: AuthClient, iamCredentialsEndpoint?: string): GoogleAuth {
  const impersonated = new Impersonated({
    sourceClient: source,
    targetPrincipal: identity.serviceAccount,
    targetScopes: [cloudPlatformScope],
    lifetime: 3600,
    ...(iamCredentialsEndpoint ? { endpoint: iamCredentialsEndpoint } : {}),
  });
  // gax takes a GoogleAuth (`auth` client option); one wrapping a given client uses that client alone.
  return new GoogleAuth({ authClient: impersonated });
}
