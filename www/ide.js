// Demo BASIC IDE wired to the usage tracker the way the real IDE would be: Run reports a program
// execution, Debug/Save/Load report feature use. The toy interpreter is basic.js.
import { interpret } from "./basic.js";

const $ = (id) => document.getElementById(id);
const editor = $("editor");
const output = $("output");
const STORE_KEY = "basic-ide-program";

// window.usage is set by /usage/usage.js (it queues calls until the wasm is loaded). Guard
// anyway, so the IDE keeps working if the tracker is blocked.
function usage() {
  return window.usage || { feature() {}, programRun() {} };
}

function programLines() {
  return editor.value.split("\n").filter((l) => l.trim() !== "");
}

function show(text, isError) {
  output.textContent = text;
  output.classList.toggle("error", Boolean(isError));
}

function run() {
  const lines = programLines();
  const started = performance.now();
  const result = interpret(lines);
  const executionTimeMs = performance.now() - started;
  const tail = result.error ? `${result.error}\nREADY.` : "READY.";
  show(["RUN", ...result.out, tail].join("\n"), result.error);
  usage().programRun({
    programLines: lines.length,
    executionTimeMs,
    linesExecuted: result.executed,
    success: !result.error,
    error: result.error,
  });
}

function debug() {
  const breakpoints = programLines().filter((l) => /REM BREAK/i.test(l)).length;
  show(`DEBUGGER: ${breakpoints} BREAKPOINT(S)\nREADY.`);
  usage().feature("debugger", { breakpoints });
}

function save() {
  try {
    localStorage.setItem(STORE_KEY, editor.value);
    show("SAVED.\nREADY.");
  } catch (e) {
    show("?DISK FULL ERROR\nREADY.", true);
  }
  usage().feature("save", { lines: programLines().length });
}

function load() {
  let text = null;
  try {
    text = localStorage.getItem(STORE_KEY);
  } catch (e) {
    text = null;
  }
  if (text !== null) editor.value = text;
  show(text !== null ? "LOADED.\nREADY." : "?FILE NOT FOUND ERROR\nREADY.", text === null);
  usage().feature("load", { found: text !== null });
}

$("run").addEventListener("click", run);
$("debug").addEventListener("click", debug);
$("save").addEventListener("click", save);
$("load").addEventListener("click", load);
editor.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run();
  }
});

// Show whether tracking is on (it is off when the browser sends Global Privacy Control).
if (window.usage && window.usage.ready) {
  window.usage.ready.then((enabled) => {
    $("status").dataset.session = (enabled && window.usage.sessionId) || "";
    $("status").textContent = enabled
      ? `Usage tracking: on (anonymous session ${window.usage.sessionId})`
      : "Usage tracking: off";
  });
} else {
  $("status").textContent = "Usage tracking: not loaded";
}
