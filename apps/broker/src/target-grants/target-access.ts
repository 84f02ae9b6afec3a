import type { Transaction } from '#libs/persistence';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '#libs/config';
import { AppError, type FieldProblem } from '#libs/errors';
import { identityProblem, type TargetScope } from '#libs/provider-kit';
import type { ProviderId } from '#libs/runtime-spec';
import { appConfigToken } from '../app.tokens.js';
import { appendAuditEvent, type AuditEventInput } from '../audit/audit-log.js';
import { runtimeModules } from '../runtimes/runtime-modules.js';
import { RuntimeRegistry } from '../runtimes/runtime-registry.js';
import { TargetGrantRepository } from './target-grant.repository.js';

export interface TargetUse {
  tenantId: string;
  /** Where each target sits in the request, for the problem list (`body.targets`). */
  path: string;
  targets: Partial<Record<string, unknown>>;
  action: 'create_agent' | 'update_agent' | 'create_session';
  user?: string;
  agentId?: string;
}

/**
 * Whether a tenant may use its agents' targets: every scope a target reaches
 * (runtime modules' `targetScopes`) must be granted to the tenant by the
 * operator. Nothing is granted by default, except the fixed demo target of a
 * runtime that runs on its emulator: it reaches no cloud and no other tenant,
 * and it keeps the quick start and `sampleTarget` working on a fresh tenant.
 */
@Injectable()
export class TargetAccess {
  constructor(
    private readonly registry: RuntimeRegistry,
    @Inject(appConfigToken) private readonly config: AppConfig,
  ) {}

  /**
   * Undefined when every target is granted. Otherwise the 403 to answer,
   * after recording `target.denied` in the caller's transaction: the caller
   * must let that transaction commit (return, then throw).
   */
  async refusal(tx: Transaction, use: TargetUse): Promise<AppError | undefined> {
    const refused = await this.refusalOf(tx, use);
    if (!refused) return undefined;
    await appendAuditEvent(tx, use.tenantId, refused.audit);
    return refused.error;
  }

  /**
   * {@link refusal} without its record: the 403 and the `target.denied`
   * event for a caller that appends it itself (a batch of session creates
   * chains its records in one statement). `granted`: the tenant's scopes on
   * a provider, when the caller read them already in this transaction (a
   * batch of creates reads them with its admissions); read here otherwise.
   */
  async refusalOf(
    tx: Transaction,
    use: TargetUse,
    granted: (provider: string) => Promise<Set<string>> | Set<string> = (provider) => new TargetGrantRepository(tx).scopesOf(use.tenantId, provider),
  ): Promise<{ error: AppError; audit: AuditEventInput } | undefined> {
    const problems: FieldProblem[] = [];
    const refused: Array<TargetScope & { provider: string }> = [];
    for (const [provider, target] of Object.entries(use.targets)) {
      if (target === undefined) continue;
      const module = runtimeModules.find((candidate) => candidate.id === provider);
      const parsed = module?.targetSchema.safeParse(target);
      if (!module || !parsed?.success) {
        // A target stored before today's rules (e.g. a Foundry endpoint on another host) is never used.
        problems.push({ path: `${use.path}.${provider}`, message: `the stored ${provider} target is no longer accepted; update the agent` });
        refused.push({ provider, kind: 'target', value: 'invalid' });
        continue;
      }
      // An identity the operator has since removed: no credential to call with (agent writes answer 400 before this).
      const missingIdentity = identityProblem(this.config.identities, module.identityKind, (parsed.data as { identity?: string }).identity);
      if (missingIdentity) {
        problems.push({ path: `${use.path}.${provider}.identity`, message: `${missingIdentity}; update the agent` });
        refused.push({ provider, kind: 'identity', value: (parsed.data as { identity: string }).identity });
        continue;
      }
      const implicit = this.implicitScopes(provider as ProviderId);
      const needed = module.targetScopes.of(parsed.data).filter((scope) => !implicit.has(`${scope.kind}:${scope.value}`));
      // The emulators' demo targets need no read at all.
      const held = needed.length > 0 ? await granted(provider) : new Set<string>();
      for (const scope of needed) {
        if (held.has(`${scope.kind}:${scope.value}`)) continue;
        problems.push({ path: `${use.path}.${provider}`, message: `${provider} ${scope.kind} ${scope.value} is not granted to this tenant` });
        refused.push({ provider, ...scope });
      }
    }
    if (problems.length === 0) return undefined;
    return {
      error: new AppError('target_not_allowed', 'the platform operator has not granted this tenant every target it names', { errors: problems }),
      audit: {
        type: 'target.denied',
        user: use.user ?? null,
        provider: refused.length > 0 && refused.every((scope) => scope.provider === refused[0].provider) ? refused[0].provider : null,
        detail: { action: use.action, ...(use.agentId ? { agentId: use.agentId } : {}), scopes: refused },
      },
    };
  }

  private implicitScopes(provider: ProviderId): Set<string> {
    const demo = this.registry.demoTargets()[provider];
    const module = runtimeModules.find((candidate) => candidate.id === provider);
    if (demo === undefined || !module) return new Set();
    return new Set(module.targetScopes.of(demo).map((scope) => `${scope.kind}:${scope.value}`));
  }
}
