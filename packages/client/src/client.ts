import type { Me, Provider } from './api-types.js';
import { Admin, Agents, Audit, Costs, Keys, Limits, Sessions, Tenants } from './resources.js';
import { Transport, type CallOptions, type ClientOptions } from './transport.js';
import type { Turns } from './turns.js';

/**
 * The Switchboard API, one object per resource:
 *
 * ```ts
 * const sb = new SwitchboardClient({ baseUrl, apiKey, endUser: 'u-42' });
 * const session = await sb.sessions.create({ agent: 'demo-agent' });
 * for await (const event of sb.sessions.turns.stream(session.id, 'Hello'))
 *   if (event.type === 'message.delta') process.stdout.write(event.data.text);
 * ```
 */
export class SwitchboardClient {
  readonly sessions: Sessions;
  /** The same object as `sessions.turns`. */
  readonly turns: Turns;
  readonly agents: Agents;
  readonly keys: Keys;
  readonly limits: Limits;
  readonly tenants: Tenants;
  readonly audit: Audit;
  readonly costs: Costs;
  readonly admin: Admin;
  private readonly transport: Transport;

  constructor(options: ClientOptions) {
    this.transport = new Transport(options);
    this.sessions = new Sessions(this.transport);
    this.turns = this.sessions.turns;
    this.agents = new Agents(this.transport);
    this.keys = new Keys(this.transport);
    this.limits = new Limits(this.transport);
    this.tenants = new Tenants(this.transport);
    this.audit = new Audit(this.transport);
    this.costs = new Costs(this.transport);
    this.admin = new Admin(this.transport);
  }

  /** Who the credential is (tenant, role, user). */
  me(call?: CallOptions): Promise<Me> {
    return this.transport.json({ method: 'GET', path: '/v1/me' }, call);
  }

  /** The registered runtimes. */
  async providers(call?: CallOptions): Promise<Provider[]> {
    return (await this.transport.json<{ data: Provider[] }>({ method: 'GET', path: '/v1/providers' }, call)).data;
  }
}
