// Types of `window.usage`, installed by the one-tag loader usage.js.
import type { ProgramRunInfo } from "./usage_client.js";

export interface UsageApi {
  /** Records use of a feature; `data` is a JSON object of at most 2 KiB. */
  feature(name: string, data?: Record<string, unknown>): void;
  /** Records one program execution. */
  programRun(run: ProgramRunInfo): void;
  /** Ends the session now and sends it; later activity starts a new session. */
  end(): void;
  /** Sends queued events now. */
  flush(): void;
  /** Opts this browser out (kept in localStorage): nothing is tracked until `optIn()`. */
  optOut(): void;
  /** Lifts `optOut()`; tracking resumes unless GPC, DNT or an option keeps it off. */
  optIn(): void;
  /** The current session id, once loaded. */
  readonly sessionId: string | undefined;
  /** False when tracking is off (GPC, DNT, opted out, disabled, bad options); undefined until loaded. */
  readonly enabled: boolean | undefined;
  /** Resolves to `enabled` once the wasm is loaded, or false if it failed to load. */
  readonly ready: Promise<boolean>;
}

declare global {
  interface Window {
    usage: UsageApi;
  }
}
