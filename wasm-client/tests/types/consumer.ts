// A small consumer of the client's TypeScript types, type-checked by scripts/check-types.sh with
// `tsc --strict`: the package (usage_client.d.ts, as bundlers import it) and window.usage
// (usage.d.ts, installed by the one-tag loader). The @ts-expect-error lines fail the check if a
// type ever loosens to accept them (or to `any`).
import init, { UsageTracker, type UsageOptions, type ProgramRunInfo } from "usage-client";
import type { UsageApi } from "usage-client/usage";

export async function bundled(): Promise<string | undefined> {
  await init();
  const options: UsageOptions = { site: "ide", endpoint: "https://usage.example.org", honorDnt: true };
  const tracker = new UsageTracker(options);
  tracker.start();
  tracker.feature("save", { lines: 42 });
  tracker.feature("debugger");
  const run: ProgramRunInfo = { programLines: 12, executionTimeMs: 35, linesExecuted: 240, success: false, error: "?SYNTAX ERROR IN 20" };
  tracker.programRun(run);
  tracker.programRun({ programLines: 1, executionTimeMs: 1, linesExecuted: 1, error: new Error("boom") });
  tracker.optOut();
  tracker.optIn();
  tracker.flush();
  tracker.end();
  const enabled: boolean = tracker.enabled;
  tracker.stop();
  // @ts-expect-error site is required
  new UsageTracker({ endpoint: "https://usage.example.org" });
  // @ts-expect-error durations are numbers
  new UsageTracker({ site: "ide", heartbeatInterval: "soon" });
  // @ts-expect-error a run needs its counts
  tracker.programRun({ success: true });
  return enabled ? tracker.sessionId : undefined;
}

export async function oneTag(): Promise<void> {
  const usage: UsageApi = window.usage;
  usage.feature("debugger", { breakpoints: 2 });
  usage.programRun({ programLines: 3, executionTimeMs: 2, linesExecuted: 3 });
  usage.optOut();
  usage.optIn();
  usage.flush();
  usage.end();
  const ready: boolean = await usage.ready;
  const id: string | undefined = usage.sessionId;
  const on: boolean | undefined = usage.enabled;
  // @ts-expect-error the feature name is a string
  usage.feature(42);
  // @ts-expect-error sessionId is read-only
  usage.sessionId = "x";
  console.log(ready, id, on);
}
