/**
 * The value of one sample in Prometheus text format: the first line of
 * metric `name` whose labels include every one given (other labels and
 * their order do not matter), or undefined when there is none.
 */
export function prometheusSample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => candidate.includes(`${key}="${value}"`)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}
