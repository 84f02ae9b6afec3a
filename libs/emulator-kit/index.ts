export { EmulatorClock } from './emulator-clock.js';
export { EmulatorStats } from './emulator-stats.js';
export { FaultPlan, faultSchema } from './fault-plan.js';
export type { Fault, FaultInput } from './fault-plan.js';
export { controlPrefix, handleControlRequest } from './control-routes.js';
export { routeMatcher } from './route-matcher.js';
export { playTransportFault } from './fault-playback.js';
export type { RouteMatch, RouteSpec } from './route-matcher.js';
export type { ControlContext } from './control-routes.js';
export {
  defaultBodyLimitBytes,
  openEventStream,
  readJsonBody,
  RequestBodyError,
  sendJson,
  untilClosed,
  writeEvent,
  listenOn,
  countConnections,
  transportConnectionsStat,
  closeServer,
} from './http-helpers.js';
export type { EmulatorLogger } from './emulator-logger.js';
export { silentLogger } from './emulator-logger.js';
export { countWords, splitIntoChunks } from './text-chunks.js';
export { approvalTrigger, planAgentTurn, toolTrigger, totalUsage } from './deterministic-agent.js';
export type { AgentApproval, AgentTool, AgentToolCall, AgentTurnInput, AgentTurnPlan, ModelCallCost, TokenUsage } from './deterministic-agent.js';
export { createEmulatorRouter, describeIssues, readBody } from './emulator-router.js';
export type { EmulatorRoute, EmulatorRouterOptions, ErrorAnswer, RouteCall } from './emulator-router.js';
export { credentialFingerprint, credentialStat } from './credential-fingerprint.js';
