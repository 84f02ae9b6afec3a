/** The slice of a pino logger adapters use; a no-op when none is given. */
export interface AdapterLog {
  debug(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export const silentLog: AdapterLog = { debug: () => undefined, warn: () => undefined };
