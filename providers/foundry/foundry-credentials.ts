import { ManagedIdentityCredential, WorkloadIdentityCredential, type TokenCredential } from '@azure/identity';
import type { AzureIdentity } from '#libs/config';

/** Where the pod's federated token is (AKS workload identity injects `AZURE_FEDERATED_TOKEN_FILE`), and the default tenant. */
export interface AzureWorkloadSettings {
  federatedTokenFile: string | undefined;
  tenantId: string | undefined;
}

/**
 * The credential of a configured Azure identity: with a federated token
 * (AKS workload identity), `WorkloadIdentityCredential` exchanges the pod's
 * service-account token for the identity's own (its client id, the
 * identity's tenant or the broker's); without one, the managed identity of
 * that client id on the host (IMDS). Each Entra app or user-assigned
 * identity needs a federated credential for the broker's service account.
 * https://learn.microsoft.com/azure/aks/workload-identity-overview
 */
export function azureIdentityCredential(identity: AzureIdentity, workload: AzureWorkloadSettings): TokenCredential {
  const tenantId = identity.tenantId ?? workload.tenantId;
  if (workload.federatedTokenFile && tenantId) {
    return new WorkloadIdentityCredential({ clientId: identity.clientId, tenantId, tokenFilePath: workload.federatedTokenFile });
  }
  return new ManagedIdentityCredential({ clientId: identity.clientId });
}
