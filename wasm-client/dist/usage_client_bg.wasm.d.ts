/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const a: (a: number, b: number) => void;
export const b: (a: number) => number;
export const c: (a: number) => void;
export const d: (a: number, b: any, c: any) => void;
export const e: (a: number) => void;
export const f: (a: any) => number;
export const g: (a: number) => void;
export const h: (a: number) => void;
export const i: (a: number, b: any) => void;
export const j: (a: number) => any;
export const k: (a: number) => void;
export const l: (a: number) => void;
export const o: (a: number, b: number, c: number, d: any) => void;
export const p: (a: number, b: number) => number;
export const q: (a: number, b: number, c: number, d: number) => number;
export const r: (a: number, b: number, c: number) => void;
export const s: (a: number) => void;
export const t: () => number;
export const u: WebAssembly.Table;
export const v: (a: number, b: number) => void;
export const w: () => void;
