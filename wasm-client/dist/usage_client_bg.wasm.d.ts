/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const __wbg_usagetracker_free: (a: number, b: number) => void;
export const usagetracker_enabled: (a: number) => number;
export const usagetracker_end: (a: number) => void;
export const usagetracker_feature: (a: number, b: any, c: any) => void;
export const usagetracker_flush: (a: number) => void;
export const usagetracker_new: (a: any) => number;
export const usagetracker_optIn: (a: number) => void;
export const usagetracker_optOut: (a: number) => void;
export const usagetracker_programRun: (a: number, b: any) => void;
export const usagetracker_sessionId: (a: number) => any;
export const usagetracker_start: (a: number) => void;
export const usagetracker_stop: (a: number) => void;
export const wasm_bindgen__convert__closures_____invoke__h44c85caf2461313f: (a: number, b: number, c: number, d: number, e: any) => void;
export const __wbindgen_malloc: (a: number, b: number) => number;
export const __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
export const __wbindgen_free: (a: number, b: number, c: number) => void;
export const __wbindgen_destroy_closure: (a: number, b: number) => void;
export const __wbindgen_externrefs: WebAssembly.Table;
export const __wbindgen_start: () => void;
