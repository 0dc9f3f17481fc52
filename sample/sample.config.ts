import { hostname } from 'node:os';

/** What one replica of the sample reads from its environment. */
export interface SampleConfig {
  /** This replica's name: the owner it writes into its locks, and the name in every log line. */
  readonly replica: string;
  /** The HTTP port of `GET /locks/:key`. */
  readonly port: number;
  /** A JSON-lines file every job run is appended to, if set (`npm run sample` sets it). */
  readonly recordFile: string | undefined;
}

/** Reads the replica's settings; the S3 settings are read by `AppModule` through `ConfigService`. */
export function sampleConfig(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  return {
    replica: env.REPLICA || hostname(),
    port: Number(env.PORT || 3000),
    recordFile: env.RECORD_FILE || undefined,
  };
}

/** A tick (or any time) as its time of day, `HH:MM:SS` (UTC), as the sample logs and records it. */
export function timeOfDay(time: Date): string {
  return time.toISOString().slice(11, 19);
}
