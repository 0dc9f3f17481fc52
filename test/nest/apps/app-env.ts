// What every test application run as its own process reads from its environment.

/** The value of the environment variable `name`; throws if it is not set. */
export const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/** The application's name in the shared record. */
export const APP_NAME = env('APP_NAME');
/** The file every application appends its runs to. */
export const RECORD_FILE = env('RECORD_FILE');
