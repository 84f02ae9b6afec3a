import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { SessionStore } from './session-store.js';
import { unary, type CallContext } from './unary-calls.js';
import { nameRequest } from './wire-schemas.js';

/**
 * ReasoningEngineService, read side only: GetReasoningEngine answers the
 * engines the emulator serves (NOT_FOUND otherwise, INVALID_ARGUMENT for a
 * malformed name), as a target check asks it. Create/update/delete stay
 * UNIMPLEMENTED: engines are registered through the emulator's own API.
 * Fault op: `engines.get`.
 */
export function engineService(deps: CallContext & { store: SessionStore }): UntypedServiceImplementation {
  return {
    GetReasoningEngine: unary(deps, 'engines.get', (raw) => {
      const engine = deps.store.engine(nameRequest.parse(raw).name);
      return { name: engine.name, display_name: engine.name.split('/').at(-1) };
    }),
  };
}
