/**
 * Hosted sandbox sizes as an agent version declares them: `cpu` in cores
 * ("0.25", "1", "500m") and `memory` as a Kubernetes quantity ("512Mi",
 * "2Gi", "1G"). Foundry bills vCPU and memory per second while a session is
 * active; it does not report them per turn, so the adapter estimates.
 * https://learn.microsoft.com/azure/ai-foundry/agents/concepts/hosted-agents
 */
export interface SandboxSize {
  vcpus: number;
  memoryGib: number;
}

const memoryUnits: Record<string, number> = { Ki: 2 ** -20, Mi: 2 ** -10, Gi: 1, Ti: 2 ** 10, K: 1e3 / 2 ** 30, M: 1e6 / 2 ** 30, G: 1e9 / 2 ** 30, T: 1e12 / 2 ** 30, '': 1 / 2 ** 30 };

/** Parses a version's size; undefined when either value is missing or unreadable. */
export function parseSandboxSize(cpu: string | undefined, memory: string | undefined): SandboxSize | undefined {
  const cores = /^(\d+(?:\.\d+)?)(m?)$/.exec(cpu?.trim() ?? '');
  const bytes = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T|)$/.exec(memory?.trim() ?? '');
  if (!cores || !bytes) return undefined;
  const vcpus = Number(cores[1]) / (cores[2] === 'm' ? 1000 : 1);
  const memoryGib = Number(bytes[1]) * memoryUnits[bytes[2]];
  return vcpus > 0 && memoryGib > 0 ? { vcpus, memoryGib } : undefined;
}

/** vCPU- and GiB-seconds of `seconds` of sandbox time, marked as estimates. */
export function estimateCompute(size: SandboxSize | undefined, seconds: number) {
  if (!size) return {};
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return { vcpuSeconds: round(size.vcpus * seconds), gibSeconds: round(size.memoryGib * seconds), computeEstimated: true };
}

/**
 * The compute a session was billed for over its whole life, from the
 * session's own timestamps: Foundry bills vCPU and memory while a session is
 * active, its idle window included, until the sandbox stops (`:stop`, or the
 * idle timeout). The session reports `created_at` and `stopped_at` (the last
 * time the sandbox stopped or went idle); without `stopped_at` it ran until
 * the broker ended it. A sandbox suspended at its idle timeout and resumed
 * later is counted as running meanwhile: the service reports only the last
 * stop (see README, "Billing").
 */
export function billedSessionCompute(size: SandboxSize, session: { created_at?: Date; stopped_at?: Date | null }, endedAt: Date) {
  if (!session.created_at) return undefined;
  const end = session.stopped_at ?? endedAt;
  const seconds = Math.max(0, end.getTime() - session.created_at.getTime()) / 1000;
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return { vcpuSeconds: round(size.vcpus * seconds), gibSeconds: round(size.memoryGib * seconds), estimated: false };
}
