//! Converts the arguments of `feature()` and `programRun()` from whatever the host page passed
//! into clean core values; anything unusable is dropped (and explained in debug mode).

use super::io::{get as field, json_object};
use crate::core::event::{check_data, clean_name, ProgramRun};
use alloc::string::String;
use wasm_bindgen::JsValue;

/// A feature name, cleaned to the API's alphabet (`"Save File"` becomes `save_file`).
pub fn feature_name(name: &JsValue) -> Option<String> {
    clean_name(&name.as_string()?)
}

/// The `data` argument of `feature()`.
pub enum Data {
    Absent,
    /// A JSON object of at most 2 KiB.
    Json(String),
    /// Given, but not a JSON object of at most 2 KiB: the event is sent without it.
    Unusable,
}

pub fn feature_data(data: &JsValue) -> Data {
    if data.is_undefined() || data.is_null() {
        return Data::Absent;
    }
    // None for non-objects, arrays, and what JSON.stringify throws on (cycles, BigInt).
    match json_object(data).as_deref().and_then(check_data) {
        Some(d) => Data::Json(String::from(d)),
        None => Data::Unusable,
    }
}

/// Reads `{programLines, executionTimeMs, linesExecuted, success, error?}`. `success` defaults to
/// "no error given"; `error` may be a string or an Error object.
pub fn program_run(run: &JsValue) -> Option<ProgramRun> {
    if !run.is_object() {
        return None;
    }
    let num = |k| field(run, k).as_f64().unwrap_or(0.0);
    let err = field(run, "error");
    let message = err.as_string().or_else(|| {
        field(&err, "message")
            .as_string()
            .filter(|_| err.is_object())
    });
    let success = field(run, "success")
        .as_bool()
        .unwrap_or(message.is_none() && (err.is_undefined() || err.is_null()));
    Some(ProgramRun::from_raw(
        num("programLines"),
        num("executionTimeMs"),
        num("linesExecuted"),
        success,
        message.as_deref().filter(|m| !m.is_empty()),
    ))
}
