/**
 * The slice of a pino logger the emulators use, so the broker can hand in
 * its own logger while tests and ad-hoc runs stay quiet.
 */
export interface EmulatorLogger {
  debug(details: object, message?: string): void;
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
}

const ignore = () => {};

export const silentLogger: EmulatorLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
