/** Injection token for the validated AppConfig (an interface, so it needs a token). */
export const appConfigToken = Symbol('switchboard:app-config');
