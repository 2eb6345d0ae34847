/* tslint:disable */
/* eslint-disable */

/** Options of `new UsageTracker(...)`; durations in milliseconds. */
export interface UsageOptions {
    /** Aggregator base URL; batches go to `${endpoint}/api/v1/events`. Default: the page origin. */
    endpoint?: string;
    /** Site id, `[a-z0-9_.:-]{1,64}`. */
    site: string;
    /** Heartbeat period while the page is visible (default 15000). */
    heartbeatInterval?: number;
    /** Input at most this old makes visible time count as active (default 30000). */
    activeWindow?: number;
    /** Away longer than this starts a new session (default 1800000). */
    idleTimeout?: number;
    /** Send when this many events wait (default 20, at most 100)... */
    batchSize?: number;
    /** ...or when the oldest waiting event is this old (default 20000). */
    flushInterval?: number;
    /** Bounds of the unsent queue in localStorage (default 500 events, 262144 bytes). */
    maxQueueEvents?: number;
    maxQueueBytes?: number;
    /** An unsent event older than this is dropped, from memory and localStorage (default and
     * most 604800000: 7 days, the longest the aggregator takes; least 60000). */
    maxQueueAge?: number;
    /** Retry backoff: first delay and cap (default 1000 and 300000). */
    retryBase?: number;
    retryMax?: number;
    /** Track nothing when navigator.globalPrivacyControl is on (default true). */
    honorGpc?: boolean;
    /** Track nothing when the browser sends Do Not Track (default true). */
    honorDnt?: boolean;
    /** Log to the console (default false: the tracker is silent). */
    debug?: boolean;
    /** Do nothing at all. */
    disabled?: boolean;
    /** "allow": do not report browser automation (`navigator.webdriver`, headless Chrome), so a
     * page's own browser tests are counted; otherwise the aggregator filters such sessions. */
    automation?: "allow";
}

/** One program execution, for `programRun`. */
export interface ProgramRunInfo {
    programLines: number;
    executionTimeMs: number;
    linesExecuted: number;
    /** Default: true unless `error` is given. */
    success?: boolean;
    /** Error message (or Error object); cut to 500 characters. */
    error?: string | Error;
}



/**
 * Tracks one page's usage session and reports it to the aggregator.
 */
export class UsageTracker {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Ends the session now (and sends it); later activity starts a new session.
     */
    end(): void;
    /**
     * Records use of a feature, with an optional JSON object of at most 2 KiB.
     */
    feature(name: string, data?: Record<string, unknown>): void;
    /**
     * Sends queued events now instead of waiting for the batch to fill.
     */
    flush(): void;
    /**
     * Reads the options. Tracking is off (every method a no-op) if they are unusable, if
     * `disabled` is set, or if Global Privacy Control is on and honoured.
     */
    constructor(options: UsageOptions);
    /**
     * Lifts `optOut()`; tracking resumes at once if nothing else keeps it off (GPC, DNT, ...).
     */
    optIn(): void;
    /**
     * Opts this browser out (kept in localStorage): stops, forgets the session and unsent
     * events; later page loads track nothing until `optIn()`.
     */
    optOut(): void;
    /**
     * Records one program execution.
     */
    programRun(run: ProgramRunInfo): void;
    /**
     * Starts (or continues, after a reload) the session: listeners, heartbeats, sending.
     */
    start(): void;
    /**
     * Stops listening and sending; unsent events stay stored for the next page load.
     */
    stop(): void;
    /**
     * False if tracking is off (GPC, DNT, opted out, `disabled`, unusable options).
     */
    readonly enabled: boolean;
    /**
     * The current session id (random, per tab), if a session is running. Returned as a JS value
     * (a string or undefined): an `Option<String>` return costs a multi-value shim in the wasm
     * and a copy-and-free in the glue.
     */
    readonly sessionId: string | undefined;
}

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly a: (a: number, b: number) => void;
    readonly b: (a: number) => number;
    readonly c: (a: number) => void;
    readonly d: (a: number, b: any, c: any) => void;
    readonly e: (a: number) => void;
    readonly f: (a: any) => number;
    readonly g: (a: number) => void;
    readonly h: (a: number) => void;
    readonly i: (a: number, b: any) => void;
    readonly j: (a: number) => any;
    readonly k: (a: number) => void;
    readonly l: (a: number) => void;
    readonly o: (a: number, b: number, c: number, d: any) => void;
    readonly p: (a: number, b: number) => number;
    readonly q: (a: number, b: number, c: number, d: number) => number;
    readonly r: (a: number, b: number, c: number) => void;
    readonly s: (a: number) => void;
    readonly t: () => number;
    readonly u: WebAssembly.Table;
    readonly v: (a: number, b: number) => void;
    readonly w: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
