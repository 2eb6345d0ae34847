// The demo IDE's toy BASIC: enough of the language for the sample program a newcomer runs first
// (REM, LET, PRINT of strings and integer arithmetic, END), and a failing line to try failed runs
// (any line containing ERROR). It walks the lines once: no GOTO, no loops.

// Tokens of an expression: numbers, variable names, operators and parentheses.
function tokens(text) {
  const found = text.match(/\d+(\.\d+)?|[A-Z][A-Z0-9]*\$?|[-+*/()]|\S/gi) || [];
  return found;
}

// Recursive descent over `+ - * /` with the usual precedence; unknown variables are 0, as in
// the BASICs this imitates. Throws a message naming the error.
function evaluate(text, vars) {
  const t = tokens(text);
  let at = 0;
  const peek = () => t[at];
  const next = () => t[at++];
  function factor() {
    const tok = next();
    if (tok === undefined) throw "SYNTAX";
    if (tok === "-") return -factor();
    if (tok === "(") {
      const v = sum();
      if (next() !== ")") throw "SYNTAX";
      return v;
    }
    if (/^\d/.test(tok)) return Number(tok);
    if (/^[A-Z]/i.test(tok)) return vars.get(tok.toUpperCase()) ?? 0;
    throw "SYNTAX";
  }
  function product() {
    let v = factor();
    while (peek() === "*" || peek() === "/") {
      const op = next();
      const r = factor();
      if (op === "/" && r === 0) throw "DIVISION BY ZERO";
      v = op === "*" ? v * r : v / r;
    }
    return v;
  }
  function sum() {
    let v = product();
    while (peek() === "+" || peek() === "-") {
      v = next() === "+" ? v + product() : v - product();
    }
    return v;
  }
  const value = sum();
  if (at !== t.length) throw "SYNTAX";
  return value;
}

// PRINT's items: string literals and expressions, joined by `;` (nothing between) or `,` (a space).
function printItems(text, vars) {
  const parts = text.match(/"[^"]*"|[;,]|[^";,]+/g) || [];
  let out = "";
  for (const part of parts) {
    if (part === ";") continue;
    if (part === ",") out += " ";
    else if (part.startsWith('"')) out += part.slice(1, -1);
    else if (part.trim() !== "") out += String(evaluate(part, vars));
  }
  return out;
}

// Runs the program's lines; returns what it printed, how many lines it executed and the error
// message of a failed run (undefined when it succeeded).
export function interpret(lines) {
  const out = [];
  const vars = new Map();
  let executed = 0;
  for (const [i, line] of lines.entries()) {
    executed++;
    const m = /^\s*(\d+)?\s*(.*)$/.exec(line);
    const number = m[1] || String(i + 1);
    const statement = m[2].trim();
    try {
      if (line.includes("ERROR")) throw "SYNTAX";
      if (/^REM\b/i.test(statement)) continue;
      if (/^END\b/i.test(statement)) break;
      const print = /^PRINT\b(.*)$/i.exec(statement);
      const assign = /^(?:LET\s+)?([A-Z][A-Z0-9]*)\s*=(.*)$/i.exec(statement);
      if (print) out.push(printItems(print[1], vars));
      else if (assign) vars.set(assign[1].toUpperCase(), evaluate(assign[2], vars));
    } catch (message) {
      return { out, executed, error: `?${message} ERROR IN ${number}` };
    }
  }
  return { out, executed, error: undefined };
}
