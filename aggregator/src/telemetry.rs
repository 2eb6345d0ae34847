//! Logging: `tracing` to stderr, filtered by USAGE_LOG (default "info"), as text or JSON lines.

use std::io::IsTerminal;

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("USAGE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A span's line when it closes, with its busy and idle time: the flush, rollup-day and
        // report-read spans are DEBUG, so only a debug filter shows where a slow one spent it.
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
